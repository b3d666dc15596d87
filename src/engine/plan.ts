import { bucketSize, reusableSize } from '../gpu/buffers.ts';
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

/**
 * GPU bytes a run of this plan holds for values (not weights), as the executor allocates them:
 * each output from the buffer pool (bucketSize), back to the pool after its last read (views share
 * their source's buffer), and the pool keeps every buffer it ever handed out. `pooled` is what the
 * pool holds after the run, the run's footprint; `peak` the most in use at one time. Kernel scratch
 * buffers are not counted.
 */
export function valueFootprint(graph: PreparedGraph, isView: (opType: string) => boolean): { peak: number; pooled: number } {
  const outputs = graph.outputs.map((o) => o.name);
  const last = lastUses(graph, outputs);
  const free = new Map<number, number>(); // buffer size → buffers idle in the pool
  const storage = new Map<string, { size: number; refs: number }>();
  let live = 0;
  let peak = 0;
  let pooled = 0;
  const take = (bucket: number): number => {
    const size = reusableSize([...free].filter(([, n]) => n > 0).map(([s]) => s), bucket);
    if (size !== undefined) free.set(size, free.get(size)! - 1);
    else pooled += bucket;
    live += size ?? bucket;
    peak = Math.max(peak, live);
    return size ?? bucket;
  };
  const drop = (name: string) => {
    const s = storage.get(name);
    storage.delete(name);
    if (s && --s.refs === 0) {
      live -= s.size;
      free.set(s.size, (free.get(s.size) ?? 0) + 1);
    }
  };
  for (const input of graph.inputs) {
    const size = take(bucketSize(4 * (graph.shapes.get(input.name)?.dims ?? []).reduce((a, b) => a * b, 1)));
    storage.set(input.name, { size, refs: 1 });
  }
  graph.nodes.forEach((node, step) => {
    if (isView(node.opType)) {
      const s = storage.get(node.inputs[0]);
      if (s) {
        s.refs++;
        storage.set(node.outputs[0], s);
      }
    } else {
      for (const o of node.outputs) {
        const size = take(bucketSize(Math.max(4, 4 * (graph.shapes.get(o)?.dims ?? []).reduce((a, b) => a * b, 1))));
        storage.set(o, { size, refs: 1 });
      }
    }
    for (const o of node.outputs) if (!last.has(o)) drop(o);
    for (const name of new Set(node.inputs)) if (name && last.get(name) === step) drop(name);
  });
  return { peak, pooled };
}
