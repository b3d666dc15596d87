import { modulePath } from '../model/graph-index.ts';
import { analyzeModel } from '../model/summary.ts';
import { elementCount, type Model, type Node } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { refToTensor } from '../onnx/ops/ref-tensor.ts';
import type { RefTensor } from '../onnx/ops/types.ts';
import { modelInputDims, prepareModel, type PreparedGraph } from '../onnx/prepare.ts';
import { batchFreeExpands } from './batch-broadcast.ts';

/**
 * Shrinks a written model's graph without changing what it computes, for any batch size:
 *
 * - A class token's batch-dependent Expand becomes an Add of zeros made from the input
 *   (batch-broadcast.ts), so no shape plumbing is left for a GPU runtime to run on the CPU.
 * - Shape plumbing (Shape/Gather/Unsqueeze/Concat/Constant chains) whose value is the same at
 *   batch 1 and batch 2 becomes one initializer; a Reshape target that differs only in the batch
 *   entry becomes a constant with 0 ("copy the input's dim") or -1 there. Only integer values and
 *   Constant nodes' own values are folded, so no float arithmetic moves from run time to here.
 *   Nodes left without readers go.
 * - Intermediate values get short names (base 36); graph inputs and outputs and initializers keep
 *   theirs (W_quantized, W_scale, W_zero_point, ...), except that an activation X's quantization
 *   parameters and Q/DQ nodes follow X's new name as onnxruntime's tools name them (X_scale,
 *   X_zero_point, X_QuantizeLinear, X_DequantizeLinear).
 * - Node names: a weight's nodes keep theirs (W_DequantizeLinear, W_restored_MatMul); quantizable layers
 *   (MatMul/Gemm/Conv) and MatMulNBits nodes get their module path (`blocks.0.mlp.fc1/MatMul`), so
 *   the studio still names them; every other node's name is dropped.
 * - The activation entries in metadata_props follow the renamed tensors; zero restored-channel
 *   counts are left out of the per-layer entries.
 *
 * Graphs with subgraphs (If/Loop/Scan) are returned as they are: their bodies read outer names.
 */

const KEEP_NAME_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'MatMulNBits']);
const INTEGER_DTYPES = new Set(['int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8', 'bool']);
/** Folded plumbing values are small; anything bigger stays computed where it is. */
const MAX_FOLDED_ELEMENTS = 4096;

export interface CompactionSummary {
  foldedValues: number;
  /** Batch-dependent Expands rewritten without shape plumbing (batch-broadcast.ts). */
  batchExpands: number;
  reshapeTargets: number;
  removedNodes: number;
  renamedValues: number;
}

export function compactModel(model: Model): { model: Model; summary: CompactionSummary } {
  const summary: CompactionSummary = { foldedValues: 0, batchExpands: 0, reshapeTargets: 0, removedNodes: 0, renamedValues: 0 };
  if (model.graph.nodes.some((n) => Object.values(n.attrs).some((a) => a.type === 'graph'))) return { model, summary };
  const folded = new Set<string>();
  const one = prepared(model, 1);
  const two = prepared(model, 2);
  let foldedModel = model;
  if (one && two) {
    // The rewrite adds nodes only after the values the prepared graphs know, so folding still reads them right.
    const expands = batchFreeExpands(model, one, two);
    summary.batchExpands = expands.rewritten;
    foldedModel = foldPlumbing(expands.model, one, two, summary, folded);
  }
  const pruned = prune(foldedModel, summary);
  return { model: rename(pruned, summary, folded), summary };
}

function sameRef(a: RefTensor, b: RefTensor): boolean {
  return a.dtype === b.dtype && a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]) && a.data.every((v, i) => Object.is(v, b.data[i]));
}

function prepared(model: Model, batch: number): PreparedGraph | null {
  try {
    return prepareModel(model, modelInputDims(model, batch), onnxOps);
  } catch {
    // A model with a fixed batch of 1, or an op the reference does not know: nothing is folded.
    return null;
  }
}

/** Folds into initializers; their names (intermediate values until now) go into `folded`. */
function foldPlumbing(model: Model, one: PreparedGraph, two: PreparedGraph, summary: CompactionSummary, folded: Set<string>): Model {
  const { graph } = model;
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const readers = new Map<string, { node: Node; index: number }[]>();
  for (const n of graph.nodes) n.inputs.forEach((name, index) => name && readers.set(name, [...(readers.get(name) ?? []), { node: n, index }]));
  const outputs = new Set(graph.outputs.map((o) => o.name));

  const values = new Map<string, { value: RefTensor; reshape: boolean }>();
  for (const [name, a] of one.constants) {
    const from = producer.get(name);
    if (!from || graph.initializers.has(name) || outputs.has(name)) continue;
    const b = two.constants.get(name);
    if (!b || elementCount(a.dims) > MAX_FOLDED_ELEMENTS) continue;
    if (!INTEGER_DTYPES.has(a.dtype) && from.opType !== 'Constant') continue;
    const same = sameRef(a, b);
    const value = same ? a : reshapeTarget(a, b, readers.get(name) ?? [], one, two);
    if (value) values.set(name, { value, reshape: !same });
  }
  // A node goes when all its outputs became constants; a value of a node that stays is not folded.
  const gone = new Set(graph.nodes.filter((n) => n.outputs.every((o) => !o || values.has(o))));
  for (const name of [...values.keys()]) {
    if (!gone.has(producer.get(name)!)) values.delete(name);
  }
  if (values.size === 0) return model;
  const initializers = new Map(graph.initializers);
  for (const [name, { value, reshape }] of values) {
    initializers.set(name, refToTensor(value, name));
    folded.add(name);
    if (reshape) summary.reshapeTargets++;
    else summary.foldedValues++;
  }
  return { ...model, graph: { ...graph, nodes: graph.nodes.filter((n) => !gone.has(n)), initializers } };
}

/**
 * A batch-dependent Reshape target as a constant: the one entry that follows the batch becomes 0
 * when every reading Reshape's input carries the batch at that position, else -1 when the target
 * has no other -1. Null when the value is read by anything but a Reshape's shape or differs elsewhere.
 */
function reshapeTarget(a: RefTensor, b: RefTensor, readers: { node: Node; index: number }[], one: PreparedGraph, two: PreparedGraph): RefTensor | null {
  if (readers.length === 0 || readers.some((r) => r.node.opType !== 'Reshape' || r.index !== 1 || r.node.attrs.allowzero?.type === 'int' && r.node.attrs.allowzero.value !== 0)) return null;
  if (a.dtype !== 'int64' || a.dims.length !== 1 || !sameDims(a.dims, b.dims)) return null;
  const differ = [...a.data.keys()].filter((i) => a.data[i] !== b.data[i]);
  if (differ.length !== 1) return null;
  const at = differ[0];
  const data = Float64Array.from(a.data);
  const copies = readers.every((r) => one.shapes.get(r.node.inputs[0])?.dims[at] === a.data[at] && two.shapes.get(r.node.inputs[0])?.dims[at] === b.data[at]);
  if (copies) data[at] = 0;
  else if (!a.data.includes(-1)) data[at] = -1;
  else return null;
  // The new target must give the very shapes the old one did, at both batch sizes.
  for (const [prep, want] of [[one, a], [two, b]] as const) {
    for (const r of readers) {
      const input = prep.shapes.get(r.node.inputs[0])?.dims;
      if (!input || !sameDims(resolveReshape(input, data), resolveReshape(input, want.data))) return null;
    }
  }
  return { dtype: a.dtype, dims: [...a.dims], data };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Reshape's output dims for `target` (0 copies, -1 infers; allowzero = 0). */
function resolveReshape(input: readonly number[], target: Float64Array): number[] {
  const dims = Array.from(target, (d, i) => (d === 0 ? input[i] : d));
  const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const total = input.reduce((p, d) => p * d, 1);
  return dims.map((d) => (d === -1 ? total / known : d));
}

/** Drops nodes nothing reads (transitively) and initializers no node reads. */
function prune(model: Model, summary: CompactionSummary): Model {
  const { graph } = model;
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const needed = new Set<string>();
  const live = new Set<Node>();
  const stack = graph.outputs.map((o) => o.name);
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const n = producer.get(name);
    if (n && !live.has(n)) {
      live.add(n);
      for (const i of n.inputs) if (i) stack.push(i);
    }
  }
  const nodes = graph.nodes.filter((n) => live.has(n));
  summary.removedNodes += graph.nodes.length - nodes.length;
  const initializers = new Map([...graph.initializers].filter(([name]) => needed.has(name)));
  return { ...model, graph: { ...graph, nodes, initializers } };
}

function shortNames(taken: ReadonlySet<string>): () => string {
  let next = 0;
  return () => {
    for (;;) {
      const name = (next++).toString(36);
      if (!taken.has(name)) return name;
    }
  };
}

/** What the writer appends to an activation's name for its quantization (onnxruntime's X_scale, X_QuantizeLinear, ...). */
const ACTIVATION_SUFFIXES = ['_scale', '_zero_point', '_clip_min', '_clip_max', '_QuantizeLinear', '_DequantizeLinear', '_Clip'];

function rename(model: Model, summary: CompactionSummary, folded: ReadonlySet<string>): Model {
  const { graph } = model;
  // A parameter stored as float16 (half-floats.ts) keeps its name on the Cast that widens it back.
  const widened = graph.nodes.filter((n) => n.opType === 'Cast' && graph.initializers.has(n.inputs[0])).map((n) => n.outputs[0]);
  const kept = new Set<string>([
    ...[...graph.initializers.keys()].filter((n) => !folded.has(n)), ...graph.inputs.map((i) => i.name), ...graph.outputs.map((o) => o.name), ...widened,
  ]);
  const fresh = shortNames(kept);
  const names = new Map<string, string>();
  const nameOf = (value: string) => {
    if (!value || kept.has(value)) return value;
    let short = names.get(value);
    if (!short) names.set(value, (short = fresh()));
    return short;
  };
  for (const n of graph.nodes) n.outputs.forEach(nameOf);
  // An activation's quantization initializers and nodes follow its new name: X_scale -> b3_scale.
  const derived = (name: string): string => {
    for (const suffix of ACTIVATION_SUFFIXES) {
      if (!name.endsWith(suffix)) continue;
      const short = names.get(name.slice(0, -suffix.length));
      if (short) return short + suffix;
    }
    return name;
  };
  const initializerNames = new Map<string, string>();
  const taken = new Set(kept);
  for (const name of graph.initializers.keys()) {
    const next = folded.has(name) ? nameOf(name) : derived(name);
    if (next !== name && !taken.has(next)) {
      initializerNames.set(name, next);
      taken.add(next);
    }
  }
  const valueOf = (v: string) => initializerNames.get(v) ?? nameOf(v);
  let layerNodes = new Set<Node>();
  try {
    layerNodes = new Set(analyzeModel(model).layers.map((l) => l.node));
  } catch {
    // Unanalysable: its layer nodes lose their names like the rest.
  }
  // The writer names a weight's nodes after it: W_DequantizeLinear, W_restored_MatMul, ...
  const weights = [...graph.initializers.keys()].filter((k) => k.endsWith('_quantized')).map((k) => k.slice(0, -'_quantized'.length));
  const isWeightNode = (name: string) => weights.some((w) => name.startsWith(`${w}_`));
  const usedNodeNames = new Set<string>();
  const nodeName = (n: Node): string => {
    let name = '';
    if (n.opType === 'MatMulNBits' || (layerNodes.has(n) && n.name)) name = `${modulePath(n)}/${n.opType}`;
    else if (isWeightNode(n.name)) name = n.name;
    else if (KEEP_NAME_OPS.has(n.opType)) name = derived(n.name);
    if (!name || usedNodeNames.has(name)) return '';
    usedNodeNames.add(name);
    return name;
  };
  const nodes = graph.nodes.map((n) => ({ ...n, name: nodeName(n), inputs: n.inputs.map(valueOf), outputs: n.outputs.map(nameOf) }));
  const initializers = new Map([...graph.initializers].map(([name, t]) => {
    const next = initializerNames.get(name);
    return next ? [next, { ...t, name: next }] : [name, t];
  }));
  summary.renamedValues = names.size + initializerNames.size;
  return { ...model, metadata: compactMetadata(model.metadata, names), graph: { ...graph, nodes, initializers, valueInfo: new Map() } };
}

function compactMetadata(metadata: Record<string, string>, names: ReadonlyMap<string, string>): Record<string, string> {
  const out = { ...metadata };
  const rewrite = (key: string, f: (entries: Record<string, unknown>[]) => Record<string, unknown>[]) => {
    if (!out[key]) return;
    try {
      const parsed = JSON.parse(out[key]) as unknown;
      if (Array.isArray(parsed)) out[key] = JSON.stringify(f(parsed as Record<string, unknown>[]));
    } catch {
      // Not ours to read: left as it is.
    }
  };
  rewrite('defakeq.activations', (entries) => entries.map((e) => (typeof e.tensor === 'string' ? { ...e, tensor: names.get(e.tensor) ?? e.tensor } : e)));
  rewrite('defakeq.layers', (entries) => entries.map(({ restoredChannels, ...rest }) => (restoredChannels ? { ...rest, restoredChannels } : rest)));
  return out;
}
