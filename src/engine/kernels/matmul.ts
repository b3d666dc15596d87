import quantizerSource from '../../../shaders/quantizer.wgsl?raw';
import vec4Kernel from '../../../shaders/matmul_vec4.wgsl?raw';
import raggedKernel from '../../../shaders/matmul_ragged.wgsl?raw';
import type { GpuContext } from '../../gpu/device.ts';
import { CommandBatch } from '../../gpu/encoder.ts';
import { readFloat32 } from '../../gpu/readback.ts';
import { type MatmulShape, matmulOutputSize, validateMatmul } from '../cpu/matmul.ts';

export type { MatmulShape } from '../cpu/matmul.ts';

/** Tile configuration; every field maps to an `override` in the shader. */
export interface MatmulTiles {
  wgX: number;
  wgY: number;
  tileK: number;
}

export const DEFAULT_TILES: MatmulTiles = { wgX: 8, wgY: 8, tileK: 32 };

// The kernels can fake-quantize A on load, so the shared quantizer comes first.
/**
 * The kernel a product runs on: 'vec4' reads A, B and C as vec4 (K and N multiples of 4);
 * 'ragged' takes any K and N (attention over 65 or 197 tokens) with scalar loads into the same
 * vec4 tiles and the same multiply-add inner product.
 */
export type MatmulPath = 'vec4' | 'ragged';

const SOURCES: Record<MatmulPath, string> = {
  vec4: quantizerSource + vec4Kernel,
  ragged: quantizerSource + raggedKernel,
};
const LABELS: Record<MatmulPath, string> = { vec4: 'matmul', ragged: 'matmul-ragged' };

/** Per-tensor quantizer applied to A inside the product (activation quantization). */
export interface AQuant {
  scale: number;
  zeroPoint: number;
  bits: number;
}

export function usesVec4(shape: MatmulShape): boolean {
  return shape.K % 4 === 0 && shape.N % 4 === 0;
}

export function matmulPath(shape: MatmulShape): MatmulPath {
  return usesVec4(shape) ? 'vec4' : 'ragged';
}

function paramsFor(shape: MatmulShape, quantA: AQuant | null): Uint8Array {
  const { M, N, K } = shape;
  const batch = shape.batch ?? 1;
  const view = new DataView(new ArrayBuffer(48));
  [M, N, K, batch, shape.broadcastA ? 0 : M * K, shape.broadcastB ? 0 : N * K, M * N, quantA?.bits ?? 0].forEach((v, i) => view.setUint32(4 * i, v, true));
  view.setFloat32(32, quantA?.scale ?? 1, true);
  view.setFloat32(36, quantA?.zeroPoint ?? 0, true);
  return new Uint8Array(view.buffer);
}

/**
 * Record C = A·B (+ bias) into `batch`. A is [batch, M, K]; B is [batch, K, N], or
 * [batch, N, K] with transB; either may be shared across the batch (broadcastA/B).
 */
export function recordMatmul(
  ctx: GpuContext,
  batch: CommandBatch,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  shape: MatmulShape,
  bias: GPUBuffer | null = null,
  tiles: MatmulTiles = DEFAULT_TILES,
  quantA: AQuant | null = null,
  path: MatmulPath = matmulPath(shape),
): void {
  validateMatmul(shape);
  if (path === 'vec4' && !usesVec4(shape)) throw new RangeError(`matmul: the vec4 kernel needs K and N multiples of 4, got K ${shape.K}, N ${shape.N}`);
  const pipeline = ctx.pipelines.get(SOURCES[path], 'main', {
    WG_X: tiles.wgX,
    WG_Y: tiles.wgY,
    TILE_K: tiles.tileK,
    TRANS_B: shape.transB ? 1 : 0,
    HAS_BIAS: bias ? 1 : 0,
    QUANT_A: quantA ? 1 : 0,
  });
  batch.dispatch({
    pipeline,
    uniforms: paramsFor(shape, quantA),
    // Unused bias still needs a binding; B stands in for it.
    buffers: [a, b, bias ?? b, out],
    workgroups: [Math.ceil(shape.N / (4 * tiles.wgX)), Math.ceil(shape.M / (4 * tiles.wgY)), shape.batch ?? 1],
    label: LABELS[path],
    flops: 2 * (shape.batch ?? 1) * shape.M * shape.N * shape.K,
  });
}

/** Convenience for tests and tools: upload, multiply, read back. */
export async function matmulOnGpu(
  ctx: GpuContext,
  a: Float32Array,
  b: Float32Array,
  shape: MatmulShape,
  bias?: Float32Array,
  tiles?: MatmulTiles,
  path?: MatmulPath,
): Promise<Float32Array> {
  const { buffers } = ctx;
  const outCount = matmulOutputSize(shape);
  const ga = buffers.upload(a);
  const gb = buffers.upload(b);
  const gbias = bias ? buffers.upload(bias) : null;
  const gc = buffers.acquire(outCount * 4);
  try {
    const batch = new CommandBatch(ctx);
    recordMatmul(ctx, batch, ga, gb, gc, shape, gbias, tiles, null, path);
    batch.submit();
    return await readFloat32(ctx, gc, outCount);
  } finally {
    for (const buf of [ga, gb, gbias, gc]) if (buf) buffers.release(buf);
  }
}
