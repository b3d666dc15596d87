import type { GpuContext } from '../../gpu/device.ts';
import { adaroundReconstructor } from './adaround/pipeline-adapter.ts';
import type { Reconstructor } from './types.ts';

/**
 * Learned rounding (AdaRound, paper eq. 7-8) on the GPU for the pipeline: ||Wx - W~x||^2 with x the
 * layer's input from the quantized upstream model (unless the pipeline says otherwise), through its
 * activation quantizer. See src/quant/reconstruction/adaround/settings.ts for the schedule.
 */
export function reconstructor(ctx: GpuContext): Reconstructor {
  return adaroundReconstructor(ctx);
}
