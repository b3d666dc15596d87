import type { QuantLayer } from '../model/layers.ts';
import type { Model, Node } from '../onnx/ir.ts';
import { worthHalving, type FloatParams } from './half-floats.ts';
import { nbitsContainer, packedBytes, qdqContainer } from './packing.ts';

/**
 * How one quantized layer is stored in the exported file, and exactly how many bytes its weight
 * storage takes (codes in their container, scales, zero points, the float32 bias). The writer
 * stores every layer by this layout, and the export-aware bit budget prices every layer with it,
 * so a run's reported average is the file's weight storage.
 *
 * - DequantizeLinear per axis: codes in uint4 (up to 4 bits) or uint8, one float32 scale and one
 *   zero point (same type as the codes) per output channel.
 * - MatMulNBits: codes in 2, 4 or 8 bits in blocks of a power of two >= 16 along K, one float32
 *   scale and one packed zero point per block, so a channel's scale repeats in every block.
 * - 'auto': per layer the smaller of the two (MatMulNBits only for MatMul/Gemm layers it can
 *   express); on a tie DequantizeLinear.
 */

export type WeightFormat = 'qdq' | 'nbits' | 'auto';
export type StoredFormat = 'qdq' | 'nbits';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['auto', 'qdq', 'nbits'];

export interface LayerShape {
  /** Output channels. */
  N: number;
  /** Inputs per output channel. */
  K: number;
  /** Bias values kept in float. */
  biasCount: number;
  /** Bytes per stored bias value: 4 (float32, default) or 2 (float16 float parameters). */
  biasValueBytes?: 2 | 4;
  /** Whether MatMulNBits can express the layer (a MatMul, or a plain Gemm; never a Conv). */
  nbits: boolean;
}

export interface LayerLayout {
  format: StoredFormat;
  /** The container width the codes are stored in. */
  containerBits: number;
  /** MatMulNBits block along K; null for DequantizeLinear. */
  blockSize: number | null;
  codeBytes: number;
  scaleBytes: number;
  zeroPointBytes: number;
  biasBytes: number;
  /** All of the above. */
  bytes: number;
}

const SCALE_BYTES = 4;
const BIAS_BYTES = 4;

function layout(format: StoredFormat, containerBits: number, blockSize: number | null, codeBytes: number, scaleBytes: number, zeroPointBytes: number, shape: LayerShape): LayerLayout {
  const biasBytes = shape.biasCount * (shape.biasValueBytes ?? BIAS_BYTES);
  return { format, containerBits, blockSize, codeBytes, scaleBytes, zeroPointBytes, biasBytes, bytes: codeBytes + scaleBytes + zeroPointBytes + biasBytes };
}

export function qdqLayout(shape: LayerShape, bits: number): LayerLayout {
  const container = qdqContainer(bits) === 'uint4' ? 4 : 8;
  return layout('qdq', container, null, packedBytes(shape.N * shape.K, container), shape.N * SCALE_BYTES, packedBytes(shape.N, container), shape);
}

export function nbitsLayout(shape: LayerShape, bits: number, blockSize?: number): LayerLayout {
  const container = nbitsContainer(bits);
  const block = blockSize ?? bestBlockSize(shape.K, container);
  if (!Number.isInteger(block) || block < 16 || (block & (block - 1)) !== 0) throw new RangeError(`MatMulNBits block size must be a power of two, at least 16; got ${block}`);
  const kBlocks = Math.ceil(shape.K / block);
  return layout('nbits', container, block, shape.N * kBlocks * ((block * container) / 8), shape.N * kBlocks * SCALE_BYTES, shape.N * packedBytes(kBlocks, container), shape);
}

/** The MatMulNBits block with the fewest bytes for a K-long row at a 2, 4 or 8-bit container. */
export function bestBlockSize(K: number, containerBits: number): number {
  let best = 16;
  let bestBytes = Infinity;
  for (let block = 16; block <= 256; block *= 2) {
    const kBlocks = Math.ceil(K / block);
    const bytes = kBlocks * ((block * containerBits) / 8 + SCALE_BYTES) + packedBytes(kBlocks, containerBits);
    if (bytes < bestBytes) {
      best = block;
      bestBytes = bytes;
    }
  }
  return best;
}

/**
 * The layout the writer uses for a layer at `bits` in `format`. 'nbits' stores the layers
 * MatMulNBits can express that way and the rest (Conv) with DequantizeLinear.
 */
export function layerLayout(shape: LayerShape, bits: number, format: WeightFormat, blockSize?: number): LayerLayout {
  if (format === 'qdq' || !shape.nbits) return qdqLayout(shape, bits);
  if (format === 'nbits') return nbitsLayout(shape, bits, blockSize);
  const qdq = qdqLayout(shape, bits);
  const nbits = nbitsLayout(shape, bits, blockSize);
  return nbits.bytes < qdq.bytes ? nbits : qdq;
}

function intAttr(n: Node, name: string, fallback: number): number {
  const a = n.attrs[name];
  return a?.type === 'int' ? a.value : fallback;
}

function floatAttr(n: Node, name: string, fallback: number): number {
  const a = n.attrs[name];
  return a?.type === 'float' ? a.value : a?.type === 'int' ? a.value : fallback;
}

/** Nodes reading each value. */
export function consumersOf(model: Model): Map<string, Node[]> {
  const consumers = new Map<string, Node[]>();
  for (const n of model.graph.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  return consumers;
}

/**
 * Why MatMulNBits cannot express a MatMul/Gemm layer (a Gemm with transA/alpha/beta, or a
 * transposed weight also read elsewhere), or null when it can. Conv layers are never MatMulNBits.
 */
export function nbitsObstacle(layer: QuantLayer, consumers: ReadonlyMap<string, Node[]>): string | null {
  if (layer.kind === 'conv') return 'a Conv';
  if (layer.kind === 'gemm') {
    return intAttr(layer.node, 'transA', 0) !== 0 || floatAttr(layer.node, 'alpha', 1) !== 1 || floatAttr(layer.node, 'beta', 1) !== 1 ? 'a Gemm with transA, alpha or beta' : null;
  }
  if (layer.layout === 'NxK' && (consumers.get(layer.node.inputs[1]) ?? []).length !== 1) return 'a transposed weight read elsewhere';
  return null;
}

/** The storage shape of every layer, as the writer sees it in `model`. */
export function layerShapes(model: Model, layers: readonly QuantLayer[], floatParams?: FloatParams): LayerShape[] {
  const consumers = consumersOf(model);
  return layers.map((l) => {
    const biasCount = l.params - l.inFeatures * l.outFeatures;
    // The float16 export halves a bias only when that shrinks the file (half-floats.ts).
    const half = floatParams === 'fp16' && l.bias !== undefined && l.bias !== null && worthHalving(l.bias, biasCount);
    return { N: l.outFeatures, K: l.inFeatures, biasCount, biasValueBytes: half ? 2 : 4, nbits: nbitsObstacle(l, consumers) === null };
  });
}

/** Stored bits of layer l at `bits` in the exported file: the export-aware budget's cost. */
export function exportCost(shapes: readonly LayerShape[], format: WeightFormat): (layer: number, bits: number) => number {
  return (l, bits) => 8 * layerLayout(shapes[l], bits, format).bytes;
}
