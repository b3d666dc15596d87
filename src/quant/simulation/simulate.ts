import type { Model, Node, Tensor } from '../../onnx/ir.ts';
import type { QuantLayer } from '../../model/layers.ts';
import { channelOf, fakeQuantWeights, weightQuantOf } from './fake-quant.ts';
import { fakeQuantNode } from './fake-quant-op.ts';
import { fakeQuantize, paramsForRange, type QuantParams } from './quantizer.ts';
import { addRestoredBranch, restoredColumns, zeroRestoredColumns, type RestoredPlan } from './restored.ts';

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
  /** Input channels kept in float (VEFT, restored.ts), by activation tensor; none when absent. */
  restored?: RestoredPlan;
}

export function simulatedModel(model: Model, layers: readonly QuantLayer[], plan: SimulationPlan): Model {
  const initializers = new Map(model.graph.initializers);
  const replaced = new Map<string, string>(); // layer input → fake-quantized name
  const inserted: Node[] = [];
  const rewired = new Map<Node, Node>();
  const branches: { layer: QuantLayer; channels: readonly number[] }[] = [];
  for (const layer of layers) {
    const q = plan.layers.get(layer.name);
    if (!q) continue;
    const weight = model.graph.initializers.get(layer.weight);
    if (!weight) throw new Error(`layer ${layer.name}: its weight ${layer.weight} is not an initializer`);
    const restored = plan.restored?.channels.get(layer.input) ?? [];
    const data = zeroRestoredColumns(layer, q.weight ?? fakeQuantWeight(layer, weight, weightParams(layer, weight, q.bits, q.range)), restored);
    if (data.length !== weight.data.length) throw new Error(`layer ${layer.name}: quantized weight has ${data.length} values, not ${weight.data.length}`);
    initializers.set(layer.weight, { ...weight, dtype: 'float32', data });
    if (restored.length > 0) branches.push({ layer, channels: restored });

    const act = plan.activations?.get(layer.input);
    if (!act) continue;
    let fq = replaced.get(layer.input);
    if (!fq) {
      fq = `${layer.input}::fake_quant`;
      replaced.set(layer.input, fq);
      inserted.push(fakeQuantNode(`${layer.name}/input_fake_quant`, layer.input, fq, act));
    }
    const name = fq;
    rewired.set(layer.node, { ...layer.node, inputs: layer.node.inputs.map((x, i) => (i === 0 ? name : x)) });
  }
  // Fake-quant nodes go right after their producers: simplest is first, since the executor sorts topologically.
  const nodes = [...inserted, ...model.graph.nodes.map((n) => rewired.get(n) ?? n)];
  const simulated = { ...model, graph: { ...model.graph, nodes, initializers } };
  return branches.reduce((m, b) => withRestoredBranch(m, b.layer, model.graph.initializers.get(b.layer.weight)!, b.channels, plan.restored!.half), simulated);
}

/** Adds a layer's restored branch (restored.ts) to the simulated model. */
function withRestoredBranch(model: Model, layer: QuantLayer, weight: Tensor, channels: readonly number[], half: boolean): Model {
  const { graph } = model;
  const branch = addRestoredBranch(graph.nodes, graph.outputs.map((o) => o.name), layer, restoredColumns(layer, weight, channels, half), channels);
  const initializers = new Map(graph.initializers);
  for (const t of branch.tensors) initializers.set(t.name, t);
  return { ...model, graph: { ...graph, nodes: branch.nodes, initializers } };
}
