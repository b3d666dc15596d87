import type { Model, Node, Tensor } from '../onnx/ir.ts';
import type { PreparedGraph } from '../onnx/prepare.ts';

/**
 * Batch-dependent Expands without shape plumbing. PyTorch writes `token.expand(B, -1, -1)` (a
 * class token per image) as Shape/Gather/Unsqueeze/Concat/Where feeding an Expand, and onnxruntime
 * runs such integer plumbing on the CPU, off a GPU EP. When the Expand's result is a constant at
 * batch 1 and at batch 2 whose dims differ only in one entry (1 and 2: the batch), it becomes
 *   Add(Expand(data, its batch-1 dims), zeros)
 * where `zeros` is [1, .., B, .., 1]: the model input's first value per image times 0, reshaped
 * with -1 at the batch entry. x + 0 is x, so the values are those of the Expand (a negative zero
 * turns positive). The plumbing left without readers is pruned by the caller.
 */

const int64 = (name: string, values: number[]): Tensor => ({ name, dtype: 'int64', dims: [values.length], data: Float64Array.from(values) });

function node(opType: string, inputs: string[], outputs: string[]): Node {
  return { name: '', opType, domain: '', inputs, outputs, attrs: {} };
}

/** The one entry where the batch-1 and batch-2 dims differ as 1 and 2, or -1. */
function batchEntry(a: readonly number[] | undefined, b: readonly number[] | undefined): number {
  if (!a || !b || a.length !== b.length) return -1;
  const differ = a.map((_, i) => i).filter((i) => a[i] !== b[i]);
  return differ.length === 1 && a[differ[0]] === 1 && b[differ[0]] === 2 ? differ[0] : -1;
}

export function batchFreeExpands(model: Model, one: PreparedGraph, two: PreparedGraph): { model: Model; rewritten: number } {
  const { graph } = model;
  const input = graph.inputs[0];
  const inputDims = one.shapes.get(input?.name ?? '')?.dims;
  if (!input || !inputDims || inputDims.length < 1 || one.shapes.get(input.name)?.dtype !== 'float32' || batchEntry(inputDims.slice(0, 1), two.shapes.get(input.name)?.dims.slice(0, 1)) !== 0) {
    return { model, rewritten: 0 };
  }
  const candidates = graph.nodes.filter((n) => {
    const out = n.outputs[0];
    return n.opType === 'Expand' && (n.domain === '' || n.domain === 'ai.onnx') && one.constants.get(out)?.dtype === 'float32' && two.constants.has(out)
      && batchEntry(one.constants.get(out)!.dims, two.constants.get(out)!.dims) >= 0;
  });
  if (candidates.length === 0) return { model, rewritten: 0 };

  const initializers = new Map(graph.initializers);
  const add = (t: Tensor) => initializers.set(t.name, t);
  const id = 'batch_zeros';
  const rest = inputDims.length - 1;
  const axes = Array.from({ length: rest }, (_, i) => i + 1);
  // [B, 1, .., 1] zeros from the input, made once.
  const source: Node[] = [];
  const zeros = `${id}_product`;
  if (rest > 0) {
    add(int64(`${id}_starts`, axes.map(() => 0)));
    add(int64(`${id}_ends`, axes.map(() => 1)));
    add(int64(`${id}_axes`, axes));
    source.push(node('Slice', [input.name, `${id}_starts`, `${id}_ends`, `${id}_axes`], [`${id}_slice`]));
  }
  add({ name: `${id}_zero`, dtype: 'float32', dims: [], data: Float32Array.of(0) });
  source.push(node('Mul', [rest > 0 ? `${id}_slice` : input.name, `${id}_zero`], [zeros]));

  const replaced = new Map<Node, Node[]>();
  candidates.forEach((n, i) => {
    const dims = one.constants.get(n.outputs[0])!.dims;
    const at = batchEntry(dims, two.constants.get(n.outputs[0])!.dims);
    const group: Node[] = [];
    let data = n.inputs[0];
    const dataDims = one.shapes.get(data)?.dims;
    if (!dataDims || dataDims.length !== dims.length || dataDims.some((d, k) => d !== dims[k])) {
      add(int64(`${id}_${i}_dims`, dims));
      group.push(node('Expand', [data, `${id}_${i}_dims`], [`${id}_${i}_expanded`]));
      data = `${id}_${i}_expanded`;
    }
    add(int64(`${id}_${i}_shape`, dims.map((_, k) => (k === at ? -1 : 1))));
    group.push(node('Reshape', [zeros, `${id}_${i}_shape`], [`${id}_${i}`]));
    group.push(node('Add', [data, `${id}_${i}`], [n.outputs[0]]));
    replaced.set(n, group);
  });
  const nodes = [...source, ...graph.nodes.flatMap((n) => replaced.get(n) ?? [n])];
  return { model: { ...model, graph: { ...graph, nodes, initializers } }, rewritten: candidates.length };
}
