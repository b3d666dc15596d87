import type { Graph, Node, Tensor } from '../onnx/ir.ts';

/** Producer/consumer lookups and constant access over a Graph, built once. */
export class GraphIndex {
  readonly producer = new Map<string, Node>();
  readonly consumers = new Map<string, Node[]>();
  private readonly constantNodes = new Map<string, Tensor>();

  constructor(readonly graph: Graph) {
    for (const node of graph.nodes) {
      for (const out of node.outputs) if (out) this.producer.set(out, node);
      for (const input of node.inputs) {
        if (!input) continue;
        const list = this.consumers.get(input) ?? [];
        list.push(node);
        this.consumers.set(input, list);
      }
      if (node.opType === 'Constant' && node.attrs.value?.type === 'tensor') {
        this.constantNodes.set(node.outputs[0], node.attrs.value.value);
      }
    }
  }

  /** The tensor behind a name when it is an initializer or a Constant node's output. */
  constant(name: string): Tensor | undefined {
    return this.graph.initializers.get(name) ?? this.constantNodes.get(name);
  }

  consumersOf(name: string): Node[] {
    return this.consumers.get(name) ?? [];
  }

  /** The only consumer of `name`, if it has exactly one. */
  soleConsumer(name: string): Node | undefined {
    const list = this.consumersOf(name);
    return list.length === 1 ? list[0] : undefined;
  }

  /** The nearest producer of type `opType` within `depth` steps upstream of `name`, through any input. */
  ancestorOfType(name: string, opType: string, depth: number): Node | undefined {
    let frontier = [name];
    for (let d = 0; d < depth && frontier.length; d++) {
      const next: string[] = [];
      for (const value of frontier) {
        const node = this.producer.get(value);
        if (!node) continue;
        if (node.opType === opType) return node;
        next.push(...node.inputs.filter(Boolean));
      }
      frontier = next;
    }
    return undefined;
  }
}

/** A readable path for a node: '/blocks/blocks.0/attn/query/MatMul' → 'blocks.0.attn.query'. */
export function modulePath(node: Node): string {
  const name = node.name || node.outputs[0] || '';
  const parts = name.split('/').filter(Boolean);
  if (parts.length > 1) parts.pop(); // the op's own name, e.g. 'MatMul' or 'Gemm_1'
  const out: string[] = [];
  for (const part of parts) {
    // Exporters repeat the parent in the child: '/blocks/blocks.0' → 'blocks.0'.
    if (out.length && part.startsWith(out[out.length - 1] + '.')) out.pop();
    out.push(part);
  }
  return out.join('.') || name;
}
