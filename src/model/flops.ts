import { elementCount, type Model, type Node } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import type { OpRegistry, ValueShape } from '../onnx/ops/types.ts';
import { modelInputDims, prepareModel } from '../onnx/prepare.ts';
import type { QuantLayer } from './layers.ts';

/**
 * What a model costs to run, in floating-point operations for one image: products count two per
 * multiply-add (MatMul, Gemm, Conv), every other runtime node one per output value. Used to price
 * the pipeline's stages before running them (quant/stage-costs.ts).
 */
export interface ModelCost {
  /** A whole forward pass of one image. */
  perImage: number;
  /** Per layer (by name): its own product, and everything from it to the outputs (itself included). */
  layers: Map<string, { flops: number; downstream: number; rows: number }>;
}

export function modelCost(model: Model, layers: readonly QuantLayer[], ops: OpRegistry = onnxOps): ModelCost {
  const plan = prepareModel(model, modelInputDims(model, 1), ops);
  const shapeOf = (name: string): ValueShape | undefined => plan.shapes.get(name);
  const cost = new Map<Node, number>(plan.nodes.map((n) => [n, nodeFlops(n, shapeOf)]));
  const perImage = [...cost.values()].reduce((s, f) => s + f, 0);
  const readers = new Map<string, Node[]>();
  for (const n of plan.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const out = new Map<string, { flops: number; downstream: number; rows: number }>();
  for (const layer of layers) {
    const seen = new Set<Node>();
    const queue = plan.nodes.filter((n) => n === layer.node || n.outputs.includes(layer.node.outputs[0]!));
    while (queue.length > 0) {
      const n = queue.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      for (const o of n.outputs) for (const r of readers.get(o) ?? []) queue.push(r);
    }
    const input = shapeOf(layer.input);
    const rows = input ? elementCount(input.dims) / (layer.kind === 'conv' ? 1 : layer.inFeatures) : 1;
    const own = cost.get(plan.nodes.find((n) => n.outputs[0] === layer.node.outputs[0]) ?? layer.node) ?? 0;
    out.set(layer.name, { flops: own, downstream: [...seen].reduce((s, n) => s + (cost.get(n) ?? 0), 0), rows: layer.kind === 'conv' ? own / (2 * layer.inFeatures * layer.outFeatures) : rows });
  }
  return { perImage, layers: out };
}

function nodeFlops(node: Node, shapeOf: (name: string) => ValueShape | undefined): number {
  const out = shapeOf(node.outputs[0] ?? '');
  const outCount = out ? elementCount(out.dims) : 0;
  const a = shapeOf(node.inputs[0] ?? '');
  switch (node.opType) {
    case 'MatMul':
    case 'Gemm': {
      // K is A's last dim (its first with Gemm's transA).
      const transA = node.attrs.transA?.type === 'int' && node.attrs.transA.value === 1;
      const k = a ? (transA ? a.dims[0]! : a.dims[a.dims.length - 1]!) : 0;
      return 2 * outCount * k;
    }
    case 'Conv': {
      const w = shapeOf(node.inputs[1] ?? '');
      return w ? 2 * outCount * elementCount(w.dims.slice(1)) : 0;
    }
    default:
      return outCount;
  }
}
