/**
 * The block VEFT tunes, with its restored channels chosen by masks the tuning can change at each
 * step (docs/veft.md). For a restored activation X read by quantized layers, each reader computes
 *   y = (Qa(X) ⊙ keep) · W~ᵀ + (X ⊙ restore) · Wᵀ
 * with keep = 1 − restore: the restored channels skip both quantizers, as in the exported file
 * (simulation/restored.ts), which this equals when `restore` marks the fixed set. A mask is a
 * region input [images, 1, ..., K] (one mask per image), or, where the activation's first axis is
 * not the image (windowed attention), a constant [K] holding the fixed set.
 */
import type { QuantLayer } from '../../model/layers.ts';
import type { Model, Node, Tensor } from '../../onnx/ir.ts';
import { restoredColumns } from '../simulation/restored.ts';

export interface MaskInput {
  tensor: string;
  /** Region input names of the two masks. */
  keep: string;
  restore: string;
  /** [1, ..., K]: a mask's dims without the image axis. */
  dims: number[];
  inFeatures: number;
}

const node = (name: string, opType: string, inputs: string[], outputs: string[]): Node => ({ name, opType, domain: '', inputs, outputs, attrs: {} });

/** 1 at the given channels (or 0 there with `invert`), K values. */
export function channelMask(K: number, channels: Iterable<number>, invert = false): Float32Array {
  const m = new Float32Array(K).fill(invert ? 1 : 0);
  for (const k of channels) m[k] = invert ? 0 : 1;
  return m;
}

/**
 * `simulated` (the simulated model without restored branches) with the masked readers of every
 * activation in `tensors`. `rank` gives an activation's rank when its first axis is the image,
 * null otherwise (it then gets constant masks of `fixed`). `original` holds the float weights.
 */
export function maskedModel(
  simulated: Model, original: Model, layers: readonly QuantLayer[], fixed: ReadonlyMap<string, readonly number[]>, rank: (tensor: string) => number | null, half: boolean,
): { model: Model; masks: MaskInput[] } {
  const initializers = new Map(simulated.graph.initializers);
  const masks: MaskInput[] = [];
  const renamed = new Map<string, string>(); // layer output → sum with the restored product
  const byNode = new Map<string, Node>();
  const added: Node[] = [];
  for (const [tensor, channels] of fixed) {
    const readers = layers.filter((l) => l.input === tensor);
    if (readers.length === 0) continue;
    const K = readers[0].inFeatures;
    const r = rank(tensor);
    const names = { keep: `${tensor}_veft_keep`, restore: `${tensor}_veft_restore` };
    if (r === null) {
      initializers.set(names.keep, { name: names.keep, dtype: 'float32', dims: [K], data: channelMask(K, channels, true) });
      initializers.set(names.restore, { name: names.restore, dtype: 'float32', dims: [K], data: channelMask(K, channels) });
    } else masks.push({ tensor, ...names, dims: [...Array<number>(r - 2).fill(1), K], inFeatures: K });
    const restoredInput = `${tensor}_veft_restored`;
    added.push(node(`${restoredInput}_Mul`, 'Mul', [tensor, names.restore], [restoredInput]));
    for (const layer of readers) {
      const reader = simulated.graph.nodes.find((n) => n.name === layer.node.name);
      if (!reader) throw new Error(`VEFT: layer ${layer.name}'s node is not in the simulated model`);
      const kept = `${layer.weight}_veft_kept_input`;
      added.push(node(`${kept}_Mul`, 'Mul', [reader.inputs[0], names.keep], [kept]));
      byNode.set(reader.name, { ...reader, inputs: reader.inputs.map((x, i) => (i === 0 ? kept : x)) });
      const weight: Tensor = original.graph.initializers.get(layer.weight)!;
      const all = Array.from({ length: K }, (_, k) => k);
      const floatWeight = `${layer.weight}_veft_float`;
      initializers.set(floatWeight, { name: floatWeight, dtype: 'float32', dims: [K, layer.outFeatures], data: restoredColumns(layer, weight, all, half) });
      const product = `${layer.weight}_veft_product`;
      const total = `${layer.output}_veft_total`;
      added.push(node(`${product}_MatMul`, 'MatMul', [restoredInput, floatWeight], [product]), node(`${total}_Add`, 'Add', [layer.output, product], [total]));
      renamed.set(layer.output, total);
    }
  }
  const rewire = (n: Node): Node => (n.name.endsWith('_veft_total_Add') ? n : { ...n, inputs: n.inputs.map((x) => renamed.get(x) ?? x) });
  const nodes = [...simulated.graph.nodes.map((n) => rewire(byNode.get(n.name) ?? n)), ...added.map(rewire)];
  const outputs = simulated.graph.outputs.map((o) => ({ ...o, name: renamed.get(o.name) ?? o.name }));
  return { model: { ...simulated, graph: { ...simulated.graph, nodes, initializers, outputs } }, masks };
}
