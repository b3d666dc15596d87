/** What If/Loop/Scan bodies read from their enclosing graph. */
import type { Graph, Node } from './ir.ts';

/** Names a node's subgraphs read from the enclosing scope (If/Loop/Scan bodies). */
export function outerReferences(node: Node): string[] {
  const out = new Set<string>();
  for (const a of Object.values(node.attrs)) if (a.type === 'graph') collectOuter(a.value, out);
  return [...out];
}

function collectOuter(g: Graph, out: Set<string>): void {
  const defined = new Set<string>([...g.initializers.keys(), ...g.inputs.map((i) => i.name)]);
  for (const n of g.nodes) {
    for (const name of [...n.inputs, ...outerReferences(n)]) if (name && !defined.has(name)) out.add(name);
    for (const o of n.outputs) defined.add(o);
  }
}
