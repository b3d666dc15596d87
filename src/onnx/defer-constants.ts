/** Scheduling of the runtime nodes that read only constants (onnx/prepare.ts). */
import type { Node } from './ir.ts';
import { outerReferences } from './subgraphs.ts';

/**
 * Nodes that read only constants (never folded: runtimeOnly ops) moved to just before their first
 * reader, so each one's output lives only while it is needed rather than from the start of the run.
 */
export function deferConstantNodes(nodes: Node[], isConstant: (name: string) => boolean): Node[] {
  const sources = new Set(nodes.filter((n) => n.inputs.every((name) => !name || isConstant(name)) && outerReferences(n).length === 0));
  if (sources.size === 0) return nodes;
  const producer = new Map<string, Node>();
  for (const n of sources) for (const o of n.outputs) if (o) producer.set(o, n);
  const placed = new Set<Node>();
  const out: Node[] = [];
  for (const n of nodes) {
    if (sources.has(n)) continue;
    for (const name of n.inputs) {
      const p = producer.get(name);
      if (p && !placed.has(p)) {
        placed.add(p);
        out.push(p);
      }
    }
    out.push(n);
  }
  // Sources nothing reads at runtime (their outputs are graph outputs) keep their place at the end.
  for (const n of nodes) if (sources.has(n) && !placed.has(n)) out.push(n);
  return out;
}
