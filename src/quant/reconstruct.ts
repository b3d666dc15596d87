import type { GpuContext } from '../gpu/device.ts';
import { adaroundReconstructor } from './adaround/pipeline-adapter.ts';
import type { Reconstructor } from './pipeline.ts';

/**
 * Learned rounding (AdaRound, paper eq. 7-8) on the GPU for the pipeline. Targets are the FP
 * layer's outputs on FP inputs; the inputs come from the quantized upstream model unless the
 * pipeline says otherwise. See src/quant/adaround/settings.ts for the schedule.
 */
export function reconstructor(ctx: GpuContext): Reconstructor {
  return adaroundReconstructor(ctx);
}
