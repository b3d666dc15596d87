import type { QuantLayer } from '../model/layers.ts';
import type { Model, Node, ValueInfo } from '../onnx/ir.ts';
import { lowerForEngine } from '../onnx/lower.ts';
import { opKey, UnsupportedOpError, type OpRegistry } from '../onnx/ops/types.ts';
import { modelInputDims, prepareModel, type PreparedGraph } from '../onnx/prepare.ts';
import type { BackwardRegistry, BackwardRule } from './rule.ts';

/** What to differentiate: the values that start and end a part of the graph, and what to take gradients of. */
export interface RegionSpec {
  /** Values that start the region (a block's input, or the model's inputs), with their dims, batch first. */
  inputs: { name: string; dims: number[] }[];
  /** Values that end it (a block's output, the logits): the loss reads them. */
  outputs: string[];
  /** Layers whose weight is a variable: given per run as an N x K matrix, its gradient returned. */
  parameters?: readonly QuantLayer[];
  /** Values whose gradients are wanted: region inputs or values computed inside (attention probabilities). */
  wrt?: readonly string[];
  /** Other values to keep after the forward pass (features a loss reads besides the outputs). */
  keep?: readonly string[];
  /** false: a forward pass only (e.g. measuring a loss), nothing kept for a backward pass. */
  gradients?: boolean;
}

/** A layer whose weight is a variable, as it sits in the prepared graph. */
export interface ParameterSite {
  layer: QuantLayer;
  node: Node;
  /** Output channels and input features: the weight is N x K, y = x·Wᵀ (+ bias). */
  N: number;
  K: number;
}

/** A region ready to run: its runtime nodes, and which of them run backward with which gradients. */
export interface Region {
  spec: RegionSpec;
  plan: PreparedGraph;
  /** Runtime nodes in topological order. */
  nodes: Node[];
  /** By the node's first output. */
  parameters: Map<string, ParameterSite>;
  /** Nodes whose backward runs (forward order), with the inputs each gives a gradient to. */
  backward: { node: Node; wants: boolean[]; rule: BackwardRule; parameter?: ParameterSite }[];
  /** Forward values the backward pass reads. */
  saved: Set<string>;
  /** Values the forward pass must keep: saved, outputs and kept features. */
  pinned: Set<string>;
}

export const nodeKey = (n: Node) => n.outputs.find(Boolean) ?? n.name;

/**
 * The part of `model` that computes `outputs` from `inputs`: every node reached going up from the
 * outputs, stopping at the inputs and constants. Model inputs reached on the way stay inputs: they
 * only ever feed shape plumbing that folds away (buildRegion checks).
 */
function sliceModel(model: Model, spec: RegionSpec): { slice: Model; reachedInputs: ValueInfo[] } {
  const { graph } = model;
  const starts = new Set(spec.inputs.map((i) => i.name));
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const keep = new Set<Node>();
  const reached = new Map<string, ValueInfo>();
  const queue = [...spec.outputs, ...(spec.keep ?? [])];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (!name || starts.has(name) || graph.initializers.has(name)) continue;
    const p = producer.get(name);
    if (!p) {
      const input = graph.inputs.find((i) => i.name === name);
      if (!input) throw new Error(`region: value "${name}" is produced by no node, input or initializer`);
      reached.set(name, input);
      continue;
    }
    if (keep.has(p)) continue;
    keep.add(p);
    queue.push(...p.inputs);
  }
  const outputs = [...new Set([...spec.outputs, ...(spec.keep ?? [])])];
  const slice: Model = {
    ...model,
    graph: {
      ...graph,
      nodes: graph.nodes.filter((n) => keep.has(n)),
      inputs: [...spec.inputs.map(({ name, dims }) => ({ name, dtype: 'float32' as const, shape: dims })), ...reached.values()],
      outputs: outputs.map((name) => ({ name, dtype: 'float32' as const, shape: null })),
    },
  };
  return { slice, reachedInputs: [...reached.values()] };
}

function parameterSites(plan: PreparedGraph, layers: readonly QuantLayer[]): Map<string, ParameterSite> {
  const byKey = new Map(plan.nodes.map((n) => [nodeKey(n), n]));
  const sites = new Map<string, ParameterSite>();
  for (const layer of layers) {
    const node = byKey.get(nodeKey(layer.node));
    if (!node) throw new Error(`region: layer ${layer.name} is not inside the region`);
    if (layer.kind === 'conv') throw new UnsupportedOpError('Conv', node.name, `layer ${layer.name}: a convolution's weight cannot be a variable of a region`);
    sites.set(nodeKey(node), { layer, node, N: layer.outFeatures, K: layer.inFeatures });
  }
  return sites;
}

const isFloat = (plan: PreparedGraph, name: string) => plan.shapes.get(name)?.dtype.startsWith('float') ?? false;

/** Values that need a gradient (downstream of a target), and values a seed can reach back from. */
function gradientFlow(plan: PreparedGraph, spec: RegionSpec, parameters: Map<string, ParameterSite>) {
  const needs = new Set(spec.wrt ?? []);
  for (const node of plan.nodes) {
    if (!parameters.has(nodeKey(node)) && !node.inputs.some((i) => needs.has(i))) continue;
    for (const o of node.outputs) if (o && isFloat(plan, o)) needs.add(o);
  }
  const reaches = new Set([...spec.outputs, ...(spec.keep ?? [])]);
  for (let i = plan.nodes.length - 1; i >= 0; i--) {
    const node = plan.nodes[i];
    if (node.outputs.some((o) => reaches.has(o))) for (const x of node.inputs) if (x) reaches.add(x);
  }
  return { needs, reaches };
}

/**
 * Prepares the region for a batch (shape inference and constant folding over the slice only) and
 * works out the backward pass: which nodes run it, which of their inputs get gradients, and what
 * the forward pass keeps for it. Fails naming the node when an op on the gradient's path has no
 * backward rule.
 */
export function buildRegion(model: Model, spec: RegionSpec, ops: OpRegistry, rules: BackwardRegistry): Region {
  if (spec.inputs.length === 0 || spec.outputs.length === 0) throw new Error('region: needs at least one input and one output');
  const { slice, reachedInputs } = sliceModel(lowerForEngine(model), spec);
  const batch = spec.inputs[0].dims[0];
  const modelDims = reachedInputs.length > 0 ? modelInputDims(model, batch) : {};
  const dims = Object.fromEntries([...spec.inputs.map((i) => [i.name, i.dims]), ...reachedInputs.map((i) => [i.name, modelDims[i.name]])]);
  const plan = prepareModel(slice, dims, ops);
  for (const input of reachedInputs) {
    const reader = plan.nodes.find((n) => n.inputs.includes(input.name));
    if (reader) throw new Error(`region: node "${reader.name}" reads the model input "${input.name}", which is not among the region's inputs`);
  }
  for (const name of spec.wrt ?? []) {
    if (plan.constants.has(name) || !plan.shapes.has(name)) throw new Error(`region: "${name}" is not a value computed in the region, so it has no gradient`);
  }
  const parameters = parameterSites(plan, spec.parameters ?? []);
  const { needs, reaches } = gradientFlow(plan, spec, parameters);
  const backward: Region['backward'] = [];
  const saved = new Set<string>();
  for (const node of spec.gradients === false ? [] : plan.nodes) {
    const parameter = parameters.get(nodeKey(node));
    if (!node.outputs.some((o) => needs.has(o) && reaches.has(o))) continue;
    const wants = node.inputs.map((i) => needs.has(i) && !plan.constants.has(i));
    if (!parameter && !wants.some(Boolean)) continue;
    const rule = rules[opKey(node)];
    if (!rule) throw new UnsupportedOpError(opKey(node), node.name, 'no backward pass for it (a gradient must flow through it)');
    const saves = parameter ? { inputs: [0], outputs: [] } : rule.saves(node);
    for (const i of saves.inputs) if (node.inputs[i] && !plan.constants.has(node.inputs[i])) saved.add(node.inputs[i]);
    for (const o of saves.outputs) if (node.outputs[o]) saved.add(node.outputs[o]);
    backward.push({ node, wants, rule, parameter });
  }
  const pinned = new Set([...saved, ...spec.outputs, ...(spec.keep ?? [])]);
  return { spec, plan, nodes: plan.nodes, parameters, backward, saved, pinned };
}
