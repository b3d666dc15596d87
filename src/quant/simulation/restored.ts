/**
 * Restored input channels (VEFT, docs/veft.md): channel k of a quantized activation X stays in
 * float for every layer that reads X. Each such layer computes
 *   y = Qa(X) · Qw(W with column k zeroed)ᵀ + X[:, R] · W[:, R]ᵀ
 * so the restored channels skip the activation quantizer (whose per-tensor range is computed
 * without them) and their weight columns skip the weight quantizer. In the graph the second term
 * is a Gather of the float input, a MatMul with the float columns (R x N) and an Add: the same
 * nodes in the simulation and in the exported file.
 */
import type { QuantLayer } from '../../model/layers.ts';
import type { Node, Tensor } from '../../onnx/ir.ts';
import { restoredWeightName } from '../../storage/cost.ts';
import { roundToHalf } from './half-floats.ts';

/** Restored channels by activation tensor (a quantized layer's input), ascending. */
export type RestoredChannels = ReadonlyMap<string, readonly number[]>;

export interface RestoredPlan {
  channels: RestoredChannels;
  /** The restored columns stored in float16 (floatParams 'fp16'), else float32. */
  half: boolean;
}

/** Position of (output n, input k) in a MatMul/Gemm weight's stored layout. */
function at(layer: QuantLayer, n: number, k: number): number {
  return layer.layout === 'KxN' ? k * layer.outFeatures + n : n * layer.inFeatures + k;
}

/** The weight with the restored input columns set to 0 (exactly 0 once quantized: the zero point's value). */
export function zeroRestoredColumns(layer: QuantLayer, data: Float32Array, channels: readonly number[]): Float32Array {
  if (channels.length === 0) return data;
  const out = Float32Array.from(data);
  for (const k of channels) for (let n = 0; n < layer.outFeatures; n++) out[at(layer, n, k)] = 0;
  return out;
}

/** The restored columns of the float weight as an R x N matrix (row j = input channel channels[j]), float16-rounded when asked. */
export function restoredColumns(layer: QuantLayer, weight: Tensor, channels: readonly number[], half: boolean): Float32Array {
  if (layer.kind === 'conv') throw new Error(`layer ${layer.name}: a convolution's input channels cannot be restored`);
  const data = weight.data as Float32Array;
  const N = layer.outFeatures;
  const out = new Float32Array(channels.length * N);
  channels.forEach((k, j) => {
    for (let n = 0; n < N; n++) out[j * N + n] = half ? roundToHalf(data[at(layer, n, k)]) : data[at(layer, n, k)];
  });
  return out;
}

/** Names of a layer's restored-channel tensors and nodes, shared by the simulation and the export. */
export function restoredNames(layer: QuantLayer): { indices: string; weight: string; gathered: string; product: string } {
  const id = `${layer.weight}_restored`;
  return { indices: `${id}_indices`, weight: restoredWeightName(layer.weight), gathered: `${id}_gathered`, product: `${id}_product` };
}

/**
 * Adds a layer's restored branch to a node list: Gather(float input, indices) · columns, added to
 * the layer's output (bias included). Readers of the output read the sum; when the output is a
 * graph output it keeps its name and its producer writes the quantized part instead.
 */
export function addRestoredBranch(
  nodes: readonly Node[], graphOutputs: readonly string[], layer: QuantLayer, columns: Float32Array, channels: readonly number[],
): { nodes: Node[]; tensors: Tensor[] } {
  const names = restoredNames(layer);
  const isOutput = graphOutputs.includes(layer.output);
  const partial = isOutput ? `${layer.output}_quantized_part` : layer.output;
  const total = isOutput ? layer.output : `${layer.output}_with_restored`;
  const rewired = nodes.map((n) => {
    if (isOutput) return n.outputs.includes(layer.output) ? { ...n, outputs: n.outputs.map((o) => (o === layer.output ? partial : o)) } : n;
    return n.inputs.includes(layer.output) ? { ...n, inputs: n.inputs.map((i) => (i === layer.output ? total : i)) } : n;
  });
  const node = (name: string, opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({ name, opType, domain: '', inputs, outputs, attrs });
  return {
    tensors: [
      { name: names.indices, dtype: 'int64', dims: [channels.length], data: Float64Array.from(channels) },
      { name: names.weight, dtype: 'float32', dims: [channels.length, layer.outFeatures], data: columns },
    ],
    nodes: [
      ...rewired,
      node(`${names.gathered}_Gather`, 'Gather', [layer.input, names.indices], [names.gathered], { axis: { type: 'int', value: -1 } }),
      node(`${names.product}_MatMul`, 'MatMul', [names.gathered, names.weight], [names.product]),
      node(`${names.product}_Add`, 'Add', [partial, names.product], [total]),
    ],
  };
}
