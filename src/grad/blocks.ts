import { modulePath } from '../model/graph-index.ts';
import { blockOf } from '../model/summary.ts';
import type { Model, Node } from '../onnx/ir.ts';

/** Ops whose output is known once shapes are: shape plumbing reads them from runtime values. */
const SHAPE_OPS = new Set(['Shape', 'Size']);

/** Values that do not depend on the model's inputs (shape plumbing, masks and tables built from constants). */
export function constantValues(model: Model): Set<string> {
  const constant = new Set<string>(model.graph.initializers.keys());
  for (const node of model.graph.nodes) {
    const fixed = node.opType === 'Constant' || SHAPE_OPS.has(node.opType) || node.inputs.every((i) => !i || constant.has(i));
    if (fixed) for (const o of node.outputs) if (o) constant.add(o);
  }
  return constant;
}

/**
 * The values that start and end a recognised block (src/model/summary.ts's blocks, e.g.
 * 'blocks.3' or 'swin.encoder.layers.1.blocks.0'): what the block's nodes read from outside it, and
 * what they produce that is read outside it. Constants (shape plumbing, shift masks, position
 * tables) are neither.
 */
export function blockBoundary(model: Model, block: string): { inputs: string[]; outputs: string[]; nodes: Node[] } {
  const constant = constantValues(model);
  const nodes = model.graph.nodes.filter((n) => blockOf(modulePath(n)) === block);
  if (nodes.length === 0) throw new Error(`no block "${block}" in the model`);
  const inside = new Set(nodes);
  const produced = new Set(nodes.flatMap((n) => n.outputs.filter(Boolean)));
  const inputs = new Set<string>();
  for (const n of nodes) for (const i of n.inputs) if (i && !constant.has(i) && !produced.has(i)) inputs.add(i);
  const graphOutputs = new Set(model.graph.outputs.map((o) => o.name));
  const readOutside = new Set(model.graph.nodes.filter((n) => !inside.has(n)).flatMap((n) => n.inputs));
  const outputs = [...produced].filter((o) => !constant.has(o) && (readOutside.has(o) || graphOutputs.has(o)));
  return { inputs: [...inputs], outputs, nodes };
}
