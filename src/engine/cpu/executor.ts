import type { Graph, Model, Node } from '../../onnx/ir.ts';
import { onnxOps, opFor } from '../../onnx/ops/index.ts';
import { tensorToRef } from '../../onnx/ops/ref-tensor.ts';
import { opKey, type OpRegistry, type RefTensor } from '../../onnx/ops/types.ts';

export interface ReferenceOptions {
  /** Values to keep and return besides the graph outputs (any node output, input or initializer). */
  taps?: string[];
  /** Operator set to use; defaults to onnxOps. */
  ops?: OpRegistry;
}

export interface ReferenceResult {
  outputs: Record<string, RefTensor>;
  taps: Map<string, RefTensor>;
}

/**
 * Nodes in an order where every input is produced before it is used (Kahn's algorithm, keeping
 * the file's order where it is already valid). Throws for cycles and for inputs nothing produces.
 */
export function topologicalOrder(graph: Graph, available: Iterable<string> = []): Node[] {
  const known = new Set<string>(['', ...available, ...graph.inputs.map((i) => i.name), ...graph.initializers.keys()]);
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && producer.set(o, i)));
  const pending = graph.nodes.map((n) => new Set(n.inputs.filter((name) => !known.has(name))));
  const consumers = new Map<number, number[]>();
  graph.nodes.forEach((n, i) => {
    for (const name of pending[i]) {
      const p = producer.get(name);
      if (p === undefined) throw new Error(`input "${name}" of node "${n.name}" (${n.opType}) is produced by no node, graph input or initializer`);
      consumers.set(p, [...(consumers.get(p) ?? []), i]);
    }
  });
  const ready: number[] = [];
  graph.nodes.forEach((_, i) => pending[i].size === 0 && ready.push(i));
  const order: Node[] = [];
  while (ready.length > 0) {
    // Smallest index first keeps the exporter's order when it is already sorted.
    ready.sort((a, b) => b - a);
    const i = ready.pop()!;
    const n = graph.nodes[i];
    order.push(n);
    for (const c of new Set(consumers.get(i) ?? [])) {
      for (const o of n.outputs) pending[c].delete(o);
      if (pending[c].size === 0) ready.push(c);
    }
  }
  if (order.length !== graph.nodes.length) {
    const stuck = graph.nodes.find((_, i) => pending[i].size > 0)!;
    throw new Error(`the graph has a cycle through node "${stuck.name}" (${stuck.opType})`);
  }
  return order;
}

function opsetFor(model: Model, domain: string): number {
  const d = domain === 'ai.onnx' ? '' : domain;
  return model.opsets.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d)?.version ?? 0;
}

function checkFeed(name: string, value: RefTensor | undefined, graph: Graph): RefTensor {
  const info = graph.inputs.find((i) => i.name === name)!;
  if (value === undefined) throw new Error(`graph input "${name}" was not fed`);
  if (info.shape) {
    const ok = info.shape.length === value.dims.length && info.shape.every((d, i) => typeof d !== 'number' || d === value.dims[i]);
    if (!ok) {
      const want = info.shape.map((d) => d ?? '?').join(', ');
      throw new Error(`graph input "${name}" expects shape [${want}], got [${value.dims.join(', ')}]`);
    }
  }
  if (value.data.length !== value.dims.reduce((a, b) => a * b, 1)) {
    throw new Error(`graph input "${name}": ${value.data.length} values for dims [${value.dims.join(', ')}]`);
  }
  return value;
}

/**
 * Evaluates the whole graph in float64 with the reference op semantics. Values are dropped after
 * their last use unless they are graph outputs or tapped.
 */
export function runReference(model: Model, feeds: Record<string, RefTensor>, options: ReferenceOptions = {}): ReferenceResult {
  const { graph } = model;
  const ops = options.ops ?? onnxOps;
  for (const name of Object.keys(feeds)) {
    if (!graph.inputs.some((i) => i.name === name)) throw new Error(`feed "${name}" is not a graph input (inputs: ${graph.inputs.map((i) => i.name).join(', ')})`);
  }
  const order = topologicalOrder(graph);
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
  const tapNames = options.taps ?? [];
  for (const name of tapNames) {
    if (!produced.has(name) && !graph.inputs.some((i) => i.name === name) && !graph.initializers.has(name)) {
      throw new Error(`tap "${name}" names no value in the graph`);
    }
  }
  const pinned = new Set([...tapNames, ...graph.outputs.map((o) => o.name)]);
  const uses = new Map<string, number>();
  for (const n of order) for (const i of n.inputs) if (i !== '') uses.set(i, (uses.get(i) ?? 0) + 1);

  const values = new Map<string, RefTensor>();
  const taps = new Map<string, RefTensor>();
  const store = (name: string, v: RefTensor) => {
    values.set(name, v);
    if (tapNames.includes(name)) taps.set(name, v);
  };
  for (const input of graph.inputs) store(input.name, checkFeed(input.name, feeds[input.name], graph));
  const read = (name: string): RefTensor | undefined => {
    if (name === '') return undefined;
    let v = values.get(name);
    if (v === undefined) {
      const init = graph.initializers.get(name);
      if (init === undefined) throw new Error(`value "${name}" is not available`);
      v = tensorToRef(init);
      store(name, v);
    }
    return v;
  };
  for (const name of tapNames) if (graph.initializers.has(name) && !produced.has(name)) read(name);

  for (const node of order) {
    const def = opFor(node, ops);
    const inputs = node.inputs.map(read);
    const outputs = def.evaluate(inputs, { node, opset: opsetFor(model, node.domain) });
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      const v = outputs[i];
      if (v === undefined) throw new Error(`${opKey(node)} at node "${node.name}" produced no value for output "${name}"`);
      store(name, v);
    });
    for (const name of node.inputs) {
      if (name === '') continue;
      const left = (uses.get(name) ?? 1) - 1;
      uses.set(name, left);
      if (left === 0 && !pinned.has(name)) values.delete(name);
    }
  }

  const outputs: Record<string, RefTensor> = {};
  for (const o of graph.outputs) {
    const v = values.get(o.name) ?? read(o.name);
    if (v === undefined) throw new Error(`graph output "${o.name}" was not computed`);
    outputs[o.name] = v;
  }
  return { outputs, taps };
}
