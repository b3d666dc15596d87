import quantizerSource from '../../../../shaders/quantizer.wgsl?raw';
import fusedKernel from '../../../../shaders/matmul_quant.wgsl?raw';
import weightsKernel from '../../../../shaders/quant_weights.wgsl?raw';
import { linearGrid, UniformWriter } from '../../../engine/kernels/dispatch.ts';
import { DEFAULT_TILES, recordMatmul, type MatmulTiles } from '../../../engine/kernels/matmul.ts';
import type { GpuContext } from '../../../gpu/device.ts';
import type { CommandBatch } from '../../../gpu/encoder.ts';
import { ACTIVATION_BITS, checkBits, checkShape, WEIGHT_BITS, type QuantMatmulShape } from '../fake-quant.ts';
import type { QuantParams } from '../quantizer.ts';

/**
 * Fake-quant matmul on the GPU, two ways (the CPU reference is src/quant/simulation/fake-quant.ts):
 * - fused: recordFakeQuantMatmul quantizes X per tensor and W per channel inside the tile loads;
 * - pre-quantized (the default): recordFakeQuantWeights writes W~ once per layer (weights are
 *   constant), then recordFakeQuantMatmul(weights = null) runs with only the activation quantizer
 *   in the tile loads; recordMatmulQuantA does the same on the engine's matmul kernel (slower here).
 * bench/quant-matmul.bench.ts measures them against a plain matmul.
 */

export type { QuantMatmulShape } from '../fake-quant.ts';

/** The per-channel weight quantizer as GPU buffers (f32): N scales, N zero points, h per weight. */
export interface WeightQuantGpu {
  scales: GPUBuffer;
  zeroPoints: GPUBuffer;
  bits: number;
  /** Learned rounding offsets h in [0, 1] in W's layout; nearest rounding (ties to even) when absent. */
  offsets?: GPUBuffer | null;
}

const FUSED = quantizerSource + fusedKernel;
const WEIGHTS = quantizerSource + weightsKernel;
const WG = 64;

function needBytes(buffer: GPUBuffer, floats: number, name: string): void {
  if (buffer.size < floats * 4) throw new RangeError(`fake-quant matmul: ${name} buffer holds ${buffer.size} bytes, needs ${floats * 4}`);
}

function checkWeights(shape: Pick<QuantMatmulShape, 'K' | 'N'>, w: GPUBuffer, q: WeightQuantGpu): void {
  checkBits('weight', q.bits, WEIGHT_BITS);
  needBytes(w, shape.K * shape.N, 'weight');
  needBytes(q.scales, shape.N, 'scale');
  needBytes(q.zeroPoints, shape.N, 'zero point');
  if (q.offsets) needBytes(q.offsets, shape.K * shape.N, 'rounding offset');
}

function checkActivations(shape: QuantMatmulShape, x: GPUBuffer, out: GPUBuffer, act: QuantParams | null, bias: GPUBuffer | null): void {
  checkShape(shape);
  if (act) checkBits('activation', act.bits, ACTIVATION_BITS);
  needBytes(x, shape.M * shape.K, 'input');
  needBytes(out, shape.M * shape.N, 'output');
  if (bias) needBytes(bias, shape.N, 'bias');
}

/**
 * Y = Qa(X) · Qw(W)ᵀ (+ bias) in one kernel. `act` null is weight-only quantization; `weights`
 * null takes W as it is (already W~ from recordFakeQuantWeights, or a plain matmul).
 */
export function recordFakeQuantMatmul(
  ctx: GpuContext, batch: CommandBatch,
  x: GPUBuffer, w: GPUBuffer, out: GPUBuffer,
  shape: QuantMatmulShape, weights: WeightQuantGpu | null, act: QuantParams | null,
  bias: GPUBuffer | null = null, tiles: MatmulTiles = DEFAULT_TILES,
): void {
  checkActivations(shape, x, out, act, bias);
  if (weights) checkWeights(shape, w, weights);
  else needBytes(w, shape.K * shape.N, 'weight');
  if (tiles.tileK % 4 !== 0) throw new RangeError(`fake-quant matmul: tileK must be a multiple of 4, got ${tiles.tileK}`);
  const { M, K, N } = shape;
  const pipeline = ctx.pipelines.get(FUSED, 'main', {
    WG_X: tiles.wgX,
    WG_Y: tiles.wgY,
    TILE_K: tiles.tileK,
    W_NXK: shape.layout === 'NxK' ? 1 : 0,
    QUANT_A: act ? 1 : 0,
    QUANT_W: weights ? 1 : 0,
    LEARNED: weights?.offsets ? 1 : 0,
    HAS_BIAS: bias ? 1 : 0,
  });
  batch.dispatch({
    pipeline,
    uniforms: new UniformWriter(32).u32(M).u32(N).u32(K).u32(weights?.bits ?? 8)
      .u32(act?.bits ?? 8).f32(act?.scale ?? 1).f32(act?.zeroPoint ?? 0).u32(0).bytes,
    // Unused optional bindings still need a buffer; W stands in.
    buffers: [x, w, weights?.scales ?? w, weights?.zeroPoints ?? w, weights?.offsets ?? w, bias ?? w, out],
    workgroups: [Math.ceil(N / (4 * tiles.wgX)), Math.ceil(M / (4 * tiles.wgY)), 1],
    label: 'fake-quant-matmul',
    flops: 2 * M * N * K,
  });
}

/** W~ (in W's layout) from W: run once per layer, since weights are constant between calls. */
export function recordFakeQuantWeights(
  ctx: GpuContext, batch: CommandBatch,
  w: GPUBuffer, shape: Pick<QuantMatmulShape, 'K' | 'N' | 'layout'>, weights: WeightQuantGpu, out: GPUBuffer,
): void {
  checkShape({ M: 1, ...shape });
  checkWeights(shape, w, weights);
  const count = shape.K * shape.N;
  needBytes(out, count, 'quantized weight');
  const grid = linearGrid(count, WG);
  batch.dispatch({
    pipeline: ctx.pipelines.get(WEIGHTS, 'main', { WG, LEARNED: weights.offsets ? 1 : 0, W_NXK: shape.layout === 'NxK' ? 1 : 0 }),
    uniforms: new UniformWriter(32).u32(count).u32(shape.K).u32(shape.N).u32(weights.bits).u32(grid.rowStride).u32(0).u32(0).u32(0).bytes,
    buffers: [w, weights.scales, weights.zeroPoints, weights.offsets ?? w, out],
    workgroups: grid.workgroups,
    label: 'fake-quant-weights',
  });
}

/** Y = Qa(X) · W~ᵀ (+ bias) with W~ from recordFakeQuantWeights: the plain matmul kernel, activation quantizer fused. */
export function recordMatmulQuantA(
  ctx: GpuContext, batch: CommandBatch,
  x: GPUBuffer, wq: GPUBuffer, out: GPUBuffer,
  shape: QuantMatmulShape, act: QuantParams | null,
  bias: GPUBuffer | null = null, tiles: MatmulTiles = DEFAULT_TILES,
): void {
  checkActivations(shape, x, out, act, bias);
  needBytes(wq, shape.K * shape.N, 'quantized weight');
  const { M, K, N } = shape;
  recordMatmul(ctx, batch, x, wq, out, { M, K, N, transB: shape.layout === 'NxK' }, bias, tiles, act);
}

/**
 * Which way a simulated quantized layer should run. The pre-quantized path is the faster one
 * (bench/quant-matmul.bench.ts; figures in docs/method.md), so W~ is made once per layer and only
 * Qa stays in the product.
 * The pre-quantized path runs recordFakeQuantMatmul with weights = null on the W~ buffer.
 */
export type FakeQuantPath = 'fused' | 'prequantized';
export const DEFAULT_FAKE_QUANT_PATH: FakeQuantPath = 'prequantized';
