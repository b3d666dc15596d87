import type { QuantLayer } from '../model/layers.ts';
import type { Tensor } from '../onnx/ir.ts';
import { roundHalfEven } from '../onnx/ops/math.ts';
import { channelsOf, weightParams, type LayerQuantization, type WeightRange } from '../quant/simulation/simulate.ts';
import { dequantize, levels, type QuantParams } from '../quant/simulation/quantizer.ts';
import { ExportError } from './errors.ts';

/**
 * A quantized layer as integers: codes[n*K + k] for output channel n and input k (the layer's
 * matrix view, whatever its stored layout), one scale and zero point per channel, and the width.
 */
export interface LayerCodes {
  name: string;
  bits: number;
  N: number;
  K: number;
  scales: Float32Array;
  zeroPoints: Uint8Array;
  codes: Uint8Array;
}

const f32 = Math.fround;

/** Position in the stored weight of (channel n, input k), for the layer's layout. */
export function storedIndex(layer: QuantLayer, dims: readonly number[], n: number, k: number): number {
  if (layer.layout === 'KxN') return k * dims[1] + n;
  return n * (dims.reduce((a, b) => a * b, 1) / dims[0]) + k;
}

/**
 * Recovers the integer codes of W~ from its per-channel parameters. W~ must lie exactly on its
 * channel's grid (nearest or learned rounding both do); a value off the grid means the weight
 * and the parameters disagree, and the layer is refused rather than silently re-rounded.
 */
export function layerCodes(layer: QuantLayer, weight: Tensor, q: LayerQuantization, range: WeightRange): LayerCodes {
  const params: QuantParams[] = weightParams(layer, weight, q.bits, q.range ?? range);
  const { channels: N, perChannel: K } = channelsOf(layer, weight.dims);
  const wq = q.weight ?? null;
  const source = (wq ?? (weight.data as Float32Array));
  const codes = new Uint8Array(N * K);
  const max = levels(q.bits);
  for (let n = 0; n < N; n++) {
    const p = params[n];
    for (let k = 0; k < K; k++) {
      const v = source[storedIndex(layer, weight.dims, n, k)];
      const code = Math.min(Math.max(roundHalfEven(f32(v / p.scale)) + p.zeroPoint, 0), max);
      if (wq && dequantize(code, p) !== v) {
        throw new ExportError(`layer ${layer.name}: quantized weight ${v} (channel ${n}, input ${k}) is not on its ${q.bits}-bit grid (scale ${p.scale}, zero point ${p.zeroPoint})`, [layer.name]);
      }
      codes[n * K + k] = code;
    }
  }
  return {
    name: layer.name, bits: q.bits, N, K,
    scales: Float32Array.from(params, (p) => p.scale),
    zeroPoints: Uint8Array.from(params, (p) => p.zeroPoint),
    codes,
  };
}

/** The fake-quantized weight the codes stand for, in the layer's stored layout (what the simulation uses). */
export function dequantizedWeight(layer: QuantLayer, dims: readonly number[], c: LayerCodes): Float32Array {
  const out = new Float32Array(c.N * c.K);
  for (let n = 0; n < c.N; n++) {
    const p = { scale: c.scales[n], zeroPoint: c.zeroPoints[n], bits: c.bits };
    for (let k = 0; k < c.K; k++) out[storedIndex(layer, dims, n, k)] = dequantize(c.codes[n * c.K + k], p);
  }
  return out;
}
