import type { Model, Node } from '../../onnx/ir.ts';
import { squaredErrorNode } from './squared-error-op.ts';

/** The suffix of the second model's values in a paired graph. */
const SECOND = '::paired';

/**
 * Two models over the same inputs in one graph, with [Σ a², Σ (a − b)²] of each named pair of
 * values (a from `first`, b from `second`) as the graph's outputs, in order. The second model's
 * values are renamed apart; initializers both models share (the same Tensor) are shared. The
 * executor frees each value after its last reader, and the two halves advance together, so a run
 * holds about two models' working sets, never every layer output of either.
 */
export function pairedModel(first: Model, second: Model, pairs: readonly [string, string][]): Model {
  const g1 = first.graph;
  const g2 = second.graph;
  const inputs = new Set(g1.inputs.map((i) => i.name));
  const initializers = new Map(g1.initializers);
  const renamed = new Map<string, string>();
  for (const [name, t] of g2.initializers) {
    if (g1.initializers.get(name) === t) continue;
    if (!g1.initializers.has(name)) {
      initializers.set(name, t);
      continue;
    }
    const own = `${name}${SECOND}`;
    renamed.set(name, own);
    initializers.set(own, { name: own, dtype: t.dtype, dims: t.dims, data: t.data });
  }
  const rename = (name: string) => (!name || inputs.has(name) ? name : renamed.get(name) ?? (g2.initializers.has(name) ? name : `${name}${SECOND}`));
  const nodes2: Node[] = g2.nodes.map((n) => ({ ...n, name: n.name && `${n.name}${SECOND}`, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) }));
  const errors = pairs.map(([a, b], i) => squaredErrorNode(`paired_error_${i}`, a, rename(b), `${a}::squared_error_${i}`));
  return {
    ...first,
    opsets: [...first.opsets, ...second.opsets.filter((o) => !first.opsets.some((f) => f.domain === o.domain))],
    graph: {
      ...g1,
      nodes: [...g1.nodes, ...nodes2, ...errors],
      initializers,
      outputs: errors.map((n) => ({ name: n.outputs[0], dtype: 'float32' as const, shape: [2] })),
    },
  };
}
