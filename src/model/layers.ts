import type { Node } from '../onnx/ir.ts';
import { GraphIndex, modulePath } from './graph-index.ts';

export type LayerKind = 'matmul' | 'gemm' | 'conv';

/** A layer whose weight can be quantized: y = x·W (+ b). */
export interface QuantLayer {
  /** Module path, e.g. 'blocks.0.attn.qkv'. Unique within the model. */
  name: string;
  kind: LayerKind;
  /** The MatMul, Gemm or Conv node. */
  node: Node;
  /** The Add that applies the bias to a MatMul, when there is one. */
  biasAdd?: Node;
  weight: string;
  bias?: string;
  /** The tensor the layer reads and the one it produces (after its bias). */
  input: string;
  output: string;
  inFeatures: number;
  outFeatures: number;
  /** Weight and bias element count. */
  params: number;
  /**
   * How the weight is stored: 'KxN' (ONNX MatMul: in × out), 'NxK' (Gemm transB, Linear layout),
   * 'conv' (out × in/group × kh × kw).
   */
  layout: 'KxN' | 'NxK' | 'conv';
}

/**
 * The constant weight a MatMul reads: directly, or through Transpose(perm 1,0) of a Linear
 * weight, as exports without constant folding have it.
 */
function matmulWeight(index: GraphIndex, name: string): { weight: string; layout: 'KxN' | 'NxK'; dims: number[] } | undefined {
  const direct = index.constant(name);
  if (direct) return direct.dims.length === 2 ? { weight: name, layout: 'KxN', dims: direct.dims } : undefined;
  const transpose = index.producer.get(name);
  if (transpose?.opType !== 'Transpose') return undefined;
  const source = index.constant(transpose.inputs[0]);
  if (!source || source.dims.length !== 2) return undefined;
  return { weight: transpose.inputs[0], layout: 'NxK', dims: [source.dims[1], source.dims[0]] };
}

function matmulLayer(index: GraphIndex, node: Node): QuantLayer | undefined {
  const found = matmulWeight(index, node.inputs[1]);
  if (!found || index.constant(node.inputs[0])) return undefined;
  const [inFeatures, outFeatures] = found.dims;
  let output = node.outputs[0];
  let bias: string | undefined;
  const add = index.soleConsumer(output);
  let biasAdd: Node | undefined;
  if (add?.opType === 'Add') {
    const other = add.inputs[0] === output ? add.inputs[1] : add.inputs[0];
    const b = index.constant(other);
    if (b && b.dims.length === 1 && b.dims[0] === outFeatures) {
      bias = other;
      biasAdd = add;
      output = add.outputs[0];
    }
  }
  return {
    name: modulePath(node), kind: 'matmul', node, biasAdd, weight: found.weight, bias,
    input: node.inputs[0], output, inFeatures, outFeatures,
    params: inFeatures * outFeatures + (bias ? outFeatures : 0), layout: found.layout,
  };
}

function gemmLayer(index: GraphIndex, node: Node): QuantLayer | undefined {
  const weight = index.constant(node.inputs[1]);
  if (!weight || weight.dims.length !== 2) return undefined;
  const attr = (name: string) => (node.attrs[name]?.type === 'int' ? (node.attrs[name].value as number) : 0);
  if (attr('transA')) return undefined;
  const transB = attr('transB') === 1;
  const [inFeatures, outFeatures] = transB ? [weight.dims[1], weight.dims[0]] : weight.dims;
  const bias = node.inputs[2] && index.constant(node.inputs[2]) ? node.inputs[2] : undefined;
  return {
    name: modulePath(node), kind: 'gemm', node, weight: node.inputs[1], bias,
    input: node.inputs[0], output: node.outputs[0], inFeatures, outFeatures,
    params: inFeatures * outFeatures + (bias ? outFeatures : 0), layout: transB ? 'NxK' : 'KxN',
  };
}

function convLayer(index: GraphIndex, node: Node): QuantLayer | undefined {
  const weight = index.constant(node.inputs[1]);
  if (!weight || weight.dims.length !== 4) return undefined;
  const [out, inPerGroup, kh, kw] = weight.dims;
  const bias = node.inputs[2] && index.constant(node.inputs[2]) ? node.inputs[2] : undefined;
  return {
    name: modulePath(node), kind: 'conv', node, weight: node.inputs[1], bias,
    input: node.inputs[0], output: node.outputs[0], inFeatures: inPerGroup * kh * kw, outFeatures: out,
    params: out * inPerGroup * kh * kw + (bias ? out : 0), layout: 'conv',
  };
}

/** Every quantizable layer, in graph order: MatMul/Gemm with a constant weight, and Convs (patch embedding). */
export function findLayers(index: GraphIndex): QuantLayer[] {
  const layers: QuantLayer[] = [];
  const seen = new Map<string, number>();
  for (const node of index.graph.nodes) {
    const layer =
      node.opType === 'MatMul' ? matmulLayer(index, node)
      : node.opType === 'Gemm' ? gemmLayer(index, node)
      : node.opType === 'Conv' ? convLayer(index, node)
      : undefined;
    if (!layer) continue;
    const n = seen.get(layer.name) ?? 0;
    seen.set(layer.name, n + 1);
    if (n > 0) layer.name = `${layer.name}#${n}`;
    layers.push(layer);
  }
  return layers;
}
