import type { PreparedGraph } from '../onnx/prepare.ts';

/** Index of the step that last reads each value; values in `keep` live to the end. */
export function lastUses(graph: PreparedGraph, keep: Iterable<string>): Map<string, number> {
  const last = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    for (const name of node.inputs) if (name) last.set(name, i);
  });
  for (const name of keep) last.set(name, Number.POSITIVE_INFINITY);
  return last;
}
