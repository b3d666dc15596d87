/**
 * A weight's per-output-channel quantization parameters and its nearest-rounding fake quantization,
 * in the weight's stored layout. Shared by the simulation, the codes and the allocation.
 */
import type { QuantLayer } from '../../model/layers.ts';
import type { Tensor } from '../../onnx/ir.ts';
import { valuesOnce } from '../../onnx/lazy-tensor.ts';
import { channelOf, fakeQuantWeights, weightQuantOf } from './fake-quant.ts';
import { fakeQuantize, paramsForRange, type QuantParams } from './quantizer.ts';

/** A weight's matrix shape: output channels N (columns of KxN, rows of NxK and conv weights) by K. */
function matrixOf(layer: QuantLayer, dims: readonly number[]): { K: number; N: number; layout: 'KxN' | 'NxK' } {
  const total = dims.reduce((a, b) => a * b, 1);
  return layer.layout === 'KxN' ? { K: dims[0], N: dims[1], layout: 'KxN' } : { K: total / dims[0], N: dims[0], layout: 'NxK' };
}

/** Output-channel count and the channel of element i, for a weight's stored layout. */
export function channelsOf(layer: QuantLayer, dims: readonly number[]): { channels: number; perChannel: number; channelOf: (i: number) => number } {
  const shape = matrixOf(layer, dims);
  return { channels: shape.N, perChannel: shape.K, channelOf: (i) => channelOf(i, shape) };
}

export type WeightRange = 'minmax' | 'mse';

/**
 * Per-output-channel parameters for a weight in its stored layout: the channel's min/max, or the
 * shrunken range with the least squared rounding error ('mse').
 */
export function weightParams(layer: QuantLayer, weight: Tensor, bits: number, range: WeightRange = 'minmax'): QuantParams[] {
  // Tensors are never mutated (a changed weight is a new Tensor), so the parameters are kept per
  // tensor: the MSE search over a large weight takes seconds and every simulated model asks again.
  const key = `${layer.layout}:${bits}:${range}`;
  const known = paramsCache.get(weight)?.get(key);
  if (known) return known;
  const params = computeWeightParams(layer, weight, bits, range);
  if (!paramsCache.has(weight)) paramsCache.set(weight, new Map());
  paramsCache.get(weight)!.set(key, params);
  return params;
}

const paramsCache = new WeakMap<Tensor, Map<string, QuantParams[]>>();

function computeWeightParams(layer: QuantLayer, weight: Tensor, bits: number, range: WeightRange): QuantParams[] {
  const { channels, channelOf } = channelsOf(layer, weight.dims);
  const lo = new Float64Array(channels).fill(Infinity);
  const hi = new Float64Array(channels).fill(-Infinity);
  const data = valuesOnce(weight) as Float32Array;
  const members: number[][] = Array.from({ length: channels }, () => []);
  for (let i = 0; i < data.length; i++) {
    const c = channelOf(i);
    if (data[i] < lo[c]) lo[c] = data[i];
    if (data[i] > hi[c]) hi[c] = data[i];
    if (range === 'mse') members[c].push(data[i]);
  }
  return Array.from({ length: channels }, (_, c) => (range === 'mse' ? mseRange(members[c], lo[c], hi[c], bits) : paramsForRange(lo[c], hi[c], bits)));
}

function mseRange(values: number[], lo: number, hi: number, bits: number): QuantParams {
  let best = paramsForRange(lo, hi, bits);
  let bestErr = Infinity;
  for (let step = 0; step < 50; step++) {
    const p = paramsForRange(lo * (1 - step * 0.01), hi * (1 - step * 0.01), bits);
    let err = 0;
    for (const v of values) err += (v - fakeQuantize(v, p)) ** 2;
    if (err < bestErr) {
      bestErr = err;
      best = p;
    }
  }
  return best;
}

/** Round-to-nearest fake quantization of a weight, per output channel. */
export function fakeQuantWeight(layer: QuantLayer, weight: Tensor, params: QuantParams[]): Float32Array {
  return fakeQuantWeights(weight.data as Float32Array, matrixOf(layer, weight.dims), weightQuantOf(params));
}

export interface LayerQuantization {
  bits: number;
  range?: WeightRange;
  /** The weight's fake-quantized values in its stored layout (e.g. after learned rounding); nearest rounding when absent. */
  weight?: Float32Array;
}
