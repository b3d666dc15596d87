import type { QuantLayer } from '../../model/layers.ts';
import { elementCount, type Tensor } from '../../onnx/ir.ts';
import { LazyTensor, valuesOnce } from '../../onnx/lazy-tensor.ts';
import { roundHalfEven } from '../../onnx/ops/math.ts';
import { packCodes, type WeightCodes } from './dequantize-weight-op.ts';
import { dequantize, levels, quantize, type QuantParams } from './quantizer.ts';
import { weightParams, type LayerQuantization } from './weight-params.ts';

/**
 * A quantized layer's weight as the simulated model holds it: one byte code per weight (packed) and
 * the channel scales and zero points, dequantized on the GPU each run (dequantize-weight-op.ts).
 *
 * The same plan entry always gives the same Tensor objects, so every simulated model built from a
 * plan shares one GPU copy of them (engine/constants.ts). Codes of nearest rounding are computed
 * from the float weight when they are used and not kept (the weight itself may be read from its
 * file again); codes of a learned rounding from the values the reconstruction returned.
 */
export function weightCodes(layer: QuantLayer, weight: Tensor, q: LayerQuantization): WeightCodes | null {
  if (q.bits > 8) throw new RangeError(`layer ${layer.name}: ${q.bits}-bit weights do not fit byte codes`);
  const range = q.range ?? 'minmax';
  if (q.weight) {
    let codes = learned.get(q.weight);
    if (codes === undefined) learned.set(q.weight, (codes = learnedCodes(layer, weight, q.weight, q.bits, range)));
    return codes;
  }
  const key = `${layer.layout}:${q.bits}:${range}`;
  let byKey = nearest.get(weight);
  if (!byKey) nearest.set(weight, (byKey = new Map()));
  let codes = byKey.get(key);
  if (!codes) {
    const params = weightParams(layer, weight, q.bits, range);
    const channelOf = channelMap(layer, weight.dims);
    const count = elementCount(weight.dims);
    codes = codesOf(layer, weight, params, new LazyTensor(`${weight.name}::codes`, 'int32', [Math.ceil(count / 4)], count, () => {
      const w = valuesOnce(weight) as Float32Array;
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = quantize(w[i]!, params[channelOf(i)]!);
      return packCodes(out);
    }));
    byKey.set(key, codes);
  }
  return codes;
}

const nearest = new WeakMap<Tensor, Map<string, WeightCodes>>();
const learned = new WeakMap<Float32Array, WeightCodes | null>();

function channelMap(layer: QuantLayer, dims: readonly number[]): (i: number) => number {
  if (layer.layout === 'KxN') {
    const N = dims[dims.length - 1]!;
    return (i) => i % N;
  }
  const K = elementCount(dims) / dims[0]!;
  return (i) => Math.floor(i / K);
}

function codesOf(layer: QuantLayer, weight: Tensor, params: readonly QuantParams[], codes: Tensor): WeightCodes {
  return {
    dims: [...weight.dims],
    nxk: layer.layout !== 'KxN',
    codes,
    scales: { name: `${weight.name}::scales`, dtype: 'float32', dims: [params.length], data: Float32Array.from(params, (p) => p.scale) },
    zeroPoints: { name: `${weight.name}::zero_points`, dtype: 'float32', dims: [params.length], data: Float32Array.from(params, (p) => p.zeroPoint) },
  };
}

/** The codes of learned values, or null when a value is off its channel's grid (it then stays float). */
function learnedCodes(layer: QuantLayer, weight: Tensor, values: Float32Array, bits: number, range: 'minmax' | 'mse'): WeightCodes | null {
  const params = weightParams(layer, weight, bits, range);
  const channelOf = channelMap(layer, weight.dims);
  const max = levels(bits);
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const p = params[channelOf(i)]!;
    const code = Math.min(Math.max(roundHalfEven(Math.fround(values[i]! / p.scale)) + p.zeroPoint, 0), max);
    if (dequantize(code, p) !== values[i]) return null;
    out[i] = code;
  }
  const packed = packCodes(out);
  return codesOf(layer, weight, params, { name: `${weight.name}::codes`, dtype: 'int32', dims: [packed.length], data: packed });
}
