import quantizerSource from '../../../shaders/quantizer.wgsl?raw';
import weightsKernel from '../../../shaders/quant_weights.wgsl?raw';
import { linearGrid, UniformWriter } from '../../engine/kernels/dispatch.ts';
import { recordMatmul, type AQuant } from '../../engine/kernels/matmul.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { CommandBatch } from '../../gpu/encoder.ts';
import { fakeQuantize, type QuantParams } from '../quantizer.ts';

const WG = 64;
const WEIGHTS = quantizerSource + weightsKernel;

/** Per-channel weight quantizer on the GPU: scales and zero points of the N output channels. */
export interface WeightQuantBuffers {
  scales: GPUBuffer;
  zeros: GPUBuffer;
  /** Learned rounding offsets h in [0, 1], one per weight; nearest rounding when absent. */
  offsets?: GPUBuffer;
  bits: number;
}

/** W~ (N x K) from W (N x K): done once per layer, since weights are constant between calls. */
export function recordQuantizedWeights(ctx: GpuContext, batch: CommandBatch, w: GPUBuffer, q: WeightQuantBuffers, N: number, K: number, out: GPUBuffer): void {
  const count = N * K;
  const grid = linearGrid(count, WG);
  batch.dispatch({
    pipeline: ctx.pipelines.get(WEIGHTS, 'main', { WG, LEARNED: q.offsets ? 1 : 0 }),
    uniforms: new UniformWriter(16).u32(count).u32(K).u32(q.bits).u32(grid.rowStride).bytes,
    buffers: [w, q.scales, q.zeros, q.offsets ?? w, out],
    workgroups: grid.workgroups,
    label: 'quant-weights',
  });
}

/**
 * Y = Qa(X) · W~ᵀ (+ bias): the activation quantizer runs inside the tiled product as X is
 * loaded, so the cost stays that of a plain matmul.
 */
export function recordFakeQuantMatmul(
  ctx: GpuContext, batch: CommandBatch,
  x: GPUBuffer, wq: GPUBuffer, out: GPUBuffer,
  shape: { M: number; K: number; N: number },
  act: AQuant | null, bias: GPUBuffer | null = null,
): void {
  recordMatmul(ctx, batch, x, wq, out, { ...shape, transB: true }, bias, undefined, act);
}

/** The CPU reference of the fused op, accumulating in float64. */
export function fakeQuantMatmulReference(
  x: Float32Array, w: Float32Array, shape: { M: number; K: number; N: number },
  weights: QuantParams[], act: QuantParams | null, offsets?: Float32Array,
): { y: Float32Array; wq: Float32Array } {
  const { M, K, N } = shape;
  const wq = new Float32Array(N * K);
  for (let i = 0; i < wq.length; i++) {
    const p = weights[Math.floor(i / K)];
    if (offsets) {
      const q = Math.min(2 ** p.bits - 1, Math.max(0, Math.floor(Math.fround(w[i] / p.scale)) + offsets[i] + p.zeroPoint));
      wq[i] = Math.fround(p.scale * (q - p.zeroPoint));
    } else wq[i] = fakeQuantize(w[i], p);
  }
  const xq = act ? x.map((v) => fakeQuantize(v, act)) : x;
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += xq[m * K + k] * wq[n * K + k];
      y[m * N + n] = acc;
    }
  return { y, wq };
}
