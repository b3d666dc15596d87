import { elementCount, type Model, type Node, type Tensor } from '../../onnx/ir.ts';
import type { QuantLayer } from '../../model/layers.ts';
import { channelOf, fakeQuantWeights, weightQuantOf } from './fake-quant.ts';
import { fakeQuantNode } from './fake-quant-op.ts';
import { dequantizeWeightNode, dequantizeWeightReference } from './dequantize-weight-op.ts';
import { tensorToRef } from '../../onnx/ops/ref-tensor.ts';
import { weightCodes } from './weight-codes.ts';
import { fakeQuantize, paramsForRange, type QuantParams } from './quantizer.ts';

/**
 * The simulated quantized model: every quantized layer's weight replaced by its fake-quantized
 * values, and a FakeQuantize node in front of every quantized layer's input. It runs on the same
 * engine as the original, so evaluation, SQNR and attention maps all come from one executor.
 */

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
  const data = weight.data as Float32Array;
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

export interface SimulationPlan {
  layers: Map<string, LayerQuantization>;
  /** Per-tensor parameters for the inputs of quantized layers, keyed by tensor name; absent = FP activations. */
  activations?: Map<string, QuantParams>;
}

export function simulatedModel(model: Model, layers: readonly QuantLayer[], plan: SimulationPlan): Model {
  const initializers = new Map(model.graph.initializers);
  const replaced = new Map<string, string>(); // layer input → fake-quantized name
  const dequantized = new Map<string, string>(); // quantized weight → its dequantized value
  const activationOf = new Map<Node, string>(); // layer node → its fake-quantized input
  const inserted: Node[] = [];
  for (const layer of layers) {
    const q = plan.layers.get(layer.name);
    if (!q) continue;
    const weight = model.graph.initializers.get(layer.weight);
    if (!weight) throw new Error(`layer ${layer.name}: its weight ${layer.weight} is not an initializer`);
    if (q.weight && q.weight.length !== elementCount(weight.dims)) throw new Error(`layer ${layer.name}: quantized weight has ${q.weight.length} values, not ${elementCount(weight.dims)}`);
    const codes = weightCodes(layer, weight, q);
    if (codes) {
      const [c, s, z] = [codes.codes, codes.scales, codes.zeroPoints];
      for (const t of [c, s, z]) initializers.set(t.name, t);
      const name = `${layer.weight}::dequantized`;
      inserted.push(dequantizeWeightNode(`${layer.name}/weight_dequantize`, [c.name, s.name, z.name], name, codes));
      dequantized.set(layer.weight, name);
    } else {
      // Learned values off their grid (a reconstructor that does not round): kept as floats.
      initializers.set(layer.weight, { name: weight.name, dims: weight.dims, dtype: 'float32', data: q.weight! });
    }

    const act = plan.activations?.get(layer.input);
    if (!act) continue;
    let fq = replaced.get(layer.input);
    if (!fq) {
      fq = `${layer.input}::fake_quant`;
      replaced.set(layer.input, fq);
      inserted.push(fakeQuantNode(`${layer.name}/input_fake_quant`, layer.input, fq, act));
    }
    activationOf.set(layer.node, fq);
  }
  // Every reader of a quantized weight reads it dequantized; a layer reads its input fake-quantized.
  const rewire = (n: Node): Node => {
    const act = activationOf.get(n);
    const inputs = n.inputs.map((x, i) => (i === 0 && act ? act : dequantized.get(x) ?? x));
    return inputs.every((x, i) => x === n.inputs[i]) ? n : { ...n, inputs };
  };
  // Inserted nodes go first: the executor sorts topologically (and runs each weight's just before its layer).
  const nodes = [...inserted, ...model.graph.nodes.map(rewire)];
  return { ...model, graph: { ...model.graph, nodes, initializers } };
}

/**
 * The weight a simulated model computes layer `layer` with, in its stored layout: rebuilt from its
 * codes (what the GPU does each run), or the float values it holds; the float weight when the layer
 * is not quantized.
 */
export function simulatedWeight(simulated: Model, layer: QuantLayer): Float32Array {
  const name = `${layer.weight}::dequantized`;
  const node = simulated.graph.nodes.find((n) => n.outputs[0] === name);
  const init = simulated.graph.initializers;
  if (!node) return init.get(layer.weight)!.data as Float32Array;
  const [codes, scales, zeros] = node.inputs.map((i) => tensorToRef(init.get(i)!));
  return Float32Array.from(dequantizeWeightReference[`${node.domain}:${node.opType}`]!.evaluate([codes, scales, zeros], { node, opset: 1 })[0]!.data);
}
