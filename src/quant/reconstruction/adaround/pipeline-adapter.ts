import type { GpuContext } from '../../../gpu/device.ts';
import type { ReconstructedWeight, Reconstructor } from '../types.ts';
import { reconstructLayer, type ReconstructResult } from './reconstruct.ts';
import type { AdaRoundSettings } from './settings.ts';

/**
 * reconstructLayer as the pipeline's Reconstructor (../types.ts). A 'conv' weight
 * (out × in·kh·kw) is N x K already, its inputs unfolded patches. The pipeline takes the weight and
 * the up/down counts back, so a cancelled run throws an AbortError; `onLayer` sees every full result.
 */
export function adaroundReconstructor(
  ctx: GpuContext,
  settings: Partial<Omit<AdaRoundSettings, 'iterations'>> = {},
  onLayer?: (name: string, result: ReconstructResult) => void,
): (job: Parameters<Reconstructor>[0]) => Promise<ReconstructedWeight> {
  return async ({ layer, weight, bits, params, xIn, xFp, iterations, seed, signal }) => {
    const rows = Math.min(xIn.rows, xFp.rows);
    const K = layer.inFeatures;
    const result = await reconstructLayer(ctx, {
      ...settings, iterations, seed, signal, weight, bits, params, rows,
      layout: layer.layout === 'KxN' ? 'KxN' : 'NxK', N: layer.outFeatures, K,
      xIn: xIn.data.subarray(0, rows * K), xFp: xFp.data === xIn.data ? undefined : xFp.data.subarray(0, rows * K),
    });
    if (result.cancelled) throw new DOMException(`reconstruction of ${layer.name} cancelled`, 'AbortError');
    onLayer?.(layer.name, result);
    return { weightQ: result.weightQ, roundedUp: result.roundedUp, roundedDown: result.roundedDown, loss: { nearest: result.loss.start, learned: result.loss.end } };
  };
}
