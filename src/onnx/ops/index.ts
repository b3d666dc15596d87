import { convOps } from './conv.ts';
import { elementwiseOps } from './elementwise.ts';
import { linalgOps } from './linalg.ts';
import { miscOps } from './misc.ts';
import { movementOps } from './movement.ts';
import { normOps } from './norm.ts';
import { quantOps } from './quant.ts';
import { reduceOps } from './reduce.ts';
import { resizeOps } from './resize.ts';
import { shapeOps } from './shape.ts';
import { opKey, UnsupportedOpError, type OpDefinition, type OpRegistry } from './types.ts';
import type { Node } from '../ir.ts';

/** Every operator we implement, by opKey. */
export const onnxOps: OpRegistry = {
  ...elementwiseOps,
  ...normOps,
  ...linalgOps,
  ...convOps,
  ...reduceOps,
  ...shapeOps,
  ...movementOps,
  ...resizeOps,
  ...miscOps,
  ...quantOps,
};

/** The definition for a node's op, or an UnsupportedOpError naming the op and the node. */
export function opFor(node: Node, registry: OpRegistry = onnxOps): OpDefinition {
  const key = opKey(node);
  const def = Object.prototype.hasOwnProperty.call(registry, key) ? registry[key] : undefined;
  if (!def) throw new UnsupportedOpError(key, node.name);
  return def;
}

export { tensorToRef, refToTensor } from './ref-tensor.ts';
export { UnsupportedOpError, opKey } from './types.ts';
export type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
