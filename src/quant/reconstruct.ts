import type { GpuContext } from '../gpu/device.ts';
import type { Reconstructor } from './pipeline.ts';

/** Learned rounding (AdaRound, paper eq. 7-8) for the pipeline; undefined until the GPU kernels land. */
export function reconstructor(_ctx: GpuContext): Reconstructor | undefined {
  return undefined;
}
