import type { QuantLayer } from '../../model/layers.ts';
import type { Tensor } from '../../onnx/ir.ts';
import { valuesOnce } from '../../onnx/lazy-tensor.ts';
import type { MeasuredErrorTable } from './error-models.ts';
import { fakeQuantize } from '../simulation/quantizer.ts';
import { channelsOf, weightParams, type WeightRange } from '../simulation/simulate.ts';

/**
 * The 'diagonal' error model's table: layer l's output error at b bits with the cross-channel
 * terms of its input dropped,
 *
 *   E_l(b) = sum_k A_k^2 sum_n (W_nk - Q_b(W)_nk)^2,
 *
 * A_k the channel energies of eq. 2 that calibration already gathered (over every image). It is
 * E||(W - Q_b(W)) x||^2 per image when the rounding errors of different inputs are uncorrelated
 * (the diagonal of the input's second moment, as 'measured' would be with x's channels
 * independent). It runs no model: one pass over each weight per width and range, so it prices
 * every layer of a model too big for the 'logits' table (quant/stage-costs.ts).
 */
export function diagonalErrorTable(
  layers: readonly QuantLayer[],
  weightOf: (layer: QuantLayer) => Tensor,
  energy: ReadonlyMap<string, Float64Array>,
  candidates: readonly number[],
  range: WeightRange,
  onLayer?: (done: number) => void,
): MeasuredErrorTable {
  const errors = layers.map((layer, l) => {
    const weight = weightOf(layer);
    const a = energy.get(layer.name);
    if (!a) throw new Error(`diagonal errors: no channel energies for layer ${layer.name}`);
    const { perChannel: K, channels: N, channelOf } = channelsOf(layer, weight.dims);
    if (a.length !== K) throw new RangeError(`diagonal errors: layer ${layer.name} has ${K} inputs but ${a.length} channel energies`);
    const w = valuesOnce(weight) as Float32Array;
    const inputOf = layer.layout === 'KxN' ? (i: number) => Math.floor(i / N) : (i: number) => i % K;
    const row = candidates.map((bits) => {
      const params = weightParams(layer, weight, bits, range);
      let total = 0;
      for (let i = 0; i < w.length; i++) {
        const d = w[i]! - fakeQuantize(w[i]!, params[channelOf(i)]!);
        const e = a[inputOf(i)]!;
        total += d * d * e * e;
      }
      return total;
    });
    onLayer?.(l + 1);
    return row;
  });
  return { candidates: [...candidates], errors };
}
