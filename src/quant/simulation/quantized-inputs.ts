import { GpuModel, type HostTensor } from '../../engine/session.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { Model, Node } from '../../onnx/ir.ts';
import type { OpExtensions } from '../../engine/session.ts';

/**
 * The quantized path's activations during block-by-block reconstruction, computed incrementally.
 * It keeps every value it has seen that is still valid for the model quantized so far; asked for
 * some tensors of the current simulated model, it runs only the nodes between those known values
 * and the tensors (for a ViT block: the previous block and the head of this one), instead of the
 * whole model from the pixels. When layers get new weights, `invalidate` forgets every value
 * downstream of them. The nodes run are the same nodes on the same inputs as a whole-model run.
 *
 * Values every reader of which has already run (and was not invalidated since) are forgotten, so
 * what is held stays about one block's worth however deep the model is. Asked again for such a
 * value, it is recomputed from the pixels: correct, only slower.
 */
export class QuantizedInputs {
  private readonly known = new Map<string, HostTensor>();
  /** Nodes (by their first output) that ran on the values known now. */
  private readonly ran = new Set<string>();
  /** How often each node (by its first output) has run, for tests and profiling. */
  readonly timesRun = new Map<string, number>();

  constructor(
    private readonly ctx: GpuContext,
    private readonly ops: OpExtensions,
    private readonly input: string,
    private readonly images: { pixels: Float32Array; count: number; dims: number[] },
    /**
     * Also keep values several nodes read (a residual stream). Where layers change block by block,
     * a reader downstream of the change reruns and needs them, which would otherwise mean rerunning
     * the block before; where every change is undone at once (the logit error table), they are not worth the readback.
     */
    private readonly options: { keepShared?: boolean } = {},
  ) {
    this.known.set(input, { dims: images.dims, data: images.pixels });
  }

  /** The names of the values held now (for tests and memory accounting). */
  get held(): string[] {
    return [...this.known.keys()];
  }

  /** The values of `targets` in `simulated` (whose earlier quantized layers must not change without `invalidate`). */
  async taps(simulated: Model, targets: readonly string[]): Promise<Map<string, HostTensor>> {
    const { graph } = simulated;
    this.forgetSpent(simulated, targets);
    const producer = new Map<string, Node>();
    for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
    const needed = new Set<Node>();
    const visit = (t: string) => {
      if (!t || this.known.has(t) || graph.initializers.has(t)) return;
      const p = producer.get(t);
      if (!p) throw new Error(`quantized inputs: tensor "${t}" has no producer and no known value`);
      if (needed.has(p)) return;
      needed.add(p);
      p.inputs.forEach(visit);
    };
    targets.forEach(visit);

    const out = new Map<string, HostTensor>();
    if (needed.size > 0) {
      const nodes = graph.nodes.filter((n) => needed.has(n));
      const produced = new Set(nodes.flatMap((n) => n.outputs));
      const inputs = [...new Set(nodes.flatMap((n) => n.inputs))].filter((t) => t && !produced.has(t) && this.known.has(t));
      // Values the rest of the model reads from this slice, kept so the next slice starts from them
      // (and with keepShared, values read twice).
      const readers = new Map<string, number>();
      for (const n of graph.nodes) for (const i of new Set(n.inputs)) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
      const shared = (t: string) => this.options.keepShared === true && (readers.get(t) ?? 0) > 1;
      const boundary = [...produced].filter((t) => t && (shared(t) || graph.nodes.some((n) => !needed.has(n) && n.inputs.includes(t))));
      const wanted = targets.filter((t) => produced.has(t));
      const slice: Model = {
        ...simulated,
        graph: {
          ...graph,
          nodes,
          inputs: inputs.map((name) => ({ name, dtype: 'float32' as const, shape: this.known.get(name)!.dims })),
          outputs: wanted.map((name) => ({ name, dtype: 'float32' as const, shape: null })),
        },
      };
      const g = new GpuModel(this.ctx, slice, this.ops);
      try {
        const feeds = Object.fromEntries(inputs.map((name) => [name, this.known.get(name)!.data as Float32Array]));
        const result = await g.run(feeds, this.images.count, { taps: [...new Set([...wanted, ...boundary])] });
        for (const n of nodes) {
          this.ran.add(nodeKey(n));
          this.timesRun.set(nodeKey(n), (this.timesRun.get(nodeKey(n)) ?? 0) + 1);
        }
        for (const [name, value] of result.taps) {
          // Only batch-major float tensors can be fed back in as slice inputs.
          if (value.data instanceof Float32Array && value.dims[0] === this.images.count) this.known.set(name, value);
          out.set(name, value);
        }
      } finally {
        g.dispose();
      }
    }
    for (const t of targets) {
      const v = out.get(t) ?? this.known.get(t);
      if (!v) throw new Error(`quantized inputs: tensor "${t}" was not computed`);
      out.set(t, v);
    }
    return out;
  }

  /**
   * Forget every value computed from these nodes' outputs (their layers were just quantized).
   * `model` is the simulated model the values were last computed in, fake-quant nodes included.
   */
  invalidate(model: Model, changed: readonly Node[]): void {
    const consumers = new Map<string, Node[]>();
    for (const n of model.graph.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
    const stale = new Set<string>();
    const queue = changed.flatMap((n) => n.outputs);
    while (queue.length) {
      const t = queue.pop()!;
      if (!t || stale.has(t)) continue;
      stale.add(t);
      for (const c of consumers.get(t) ?? []) queue.push(...c.outputs);
    }
    for (const t of stale) this.known.delete(t);
    for (const n of model.graph.nodes) if (n.outputs.some((o) => stale.has(o))) this.ran.delete(nodeKey(n));
  }

  /**
   * Drops held values (but the pixels and the values asked for) that no node still to run reads. A
   * node is still to run when it has not run, or when one that is still to run reads an output of it
   * that is not held (shapes and other non-float values are recomputed, never held).
   */
  private forgetSpent(simulated: Model, targets: readonly string[]): void {
    const { nodes, initializers } = simulated.graph;
    const producer = new Map<string, Node>();
    for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
    const toRun = new Set(nodes.filter((n) => !this.ran.has(nodeKey(n))));
    const pending = new Set<string>();
    const queue = [...toRun];
    while (queue.length > 0) {
      for (const i of queue.pop()!.inputs) {
        if (!i || initializers.has(i)) continue;
        pending.add(i);
        const p = producer.get(i);
        if (p && !this.known.has(i) && !toRun.has(p)) {
          toRun.add(p);
          queue.push(p);
        }
      }
    }
    for (const name of [...this.known.keys()]) {
      if (name !== this.input && !pending.has(name) && !targets.includes(name)) this.known.delete(name);
    }
  }
}

const nodeKey = (n: Node) => n.outputs.find(Boolean) ?? n.name;
