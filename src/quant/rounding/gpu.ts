import quantizerSource from '../../../shaders/quantizer.wgsl?raw';
import softSource from '../../../shaders/rounding_soft.wgsl?raw';
import adamSource from '../../../shaders/rounding_adam.wgsl?raw';
import { recordStridedCopy } from '../../engine/kernels/copy.ts';
import { linearGrid, UniformWriter } from '../../engine/kernels/dispatch.ts';
import { recordBinary } from '../../engine/kernels/elementwise.ts';
import { recordMatmul } from '../../engine/kernels/matmul.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { CommandBatch } from '../../gpu/encoder.ts';
import { readFloat32 } from '../../gpu/readback.ts';
import { rng } from '../observers.ts';
import { annealing, initialV } from './reference.ts';

const WG = 64;
const SOFT = quantizerSource + softSource;
const ADAM = quantizerSource + adamSource;

export interface RoundingJob {
  /** Weight N x K (output channels as rows). */
  w: Float32Array;
  N: number;
  K: number;
  scales: Float32Array;
  zeros: Float32Array;
  bits: number;
  /** Inputs through the quantized path (R x K) and the FP targets Y = X_fp·Wᵀ (R x N). */
  x: Float32Array;
  y: Float32Array;
  R: number;
  iterations: number;
  /** Rows per step; all rows when R is smaller. */
  batchRows?: number;
  /** Regulariser weight (on the summed regulariser, as in BRECQ's reference code). */
  alpha?: number;
  lr?: number;
  seed?: number;
  /** Initial V (e.g. from a test); default: h(V) = fractional part of W/s. */
  v?: Float32Array;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface RoundingResult {
  /** The fake-quantized weight with the learned, hard rounding, N x K. */
  weight: Float32Array;
  /** 1 where the weight was rounded up (floor + 1), 0 where down. */
  up: Uint8Array;
  v: Float32Array;
  iterations: number;
  cancelled: boolean;
}

const ITERATIONS_PER_SUBMIT = 25;

/**
 * Learns the rounding of one layer on the GPU (AdaRound, paper eq. 7-8): soft-quantized weight,
 * forward product, residual, gradient through a transposed product, and an Adam step, every
 * iteration recorded without readback. Cancelling returns nearest rounding, a usable state.
 */
export async function learnRounding(ctx: GpuContext, job: RoundingJob): Promise<RoundingResult> {
  const { N, K, R } = job;
  const B = Math.min(job.batchRows ?? 256, R);
  const count = N * K;
  const { buffers } = ctx;
  const v0 = job.v ?? Float32Array.from(job.w, (w, i) => initialV(w, job.scales[Math.floor(i / K)]));
  // Shuffle rows once so that a contiguous window is a random minibatch.
  const random = rng(job.seed ?? 0);
  const order = Array.from({ length: R }, (_, i) => i);
  for (let i = R - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const xs = new Float32Array(R * K);
  const ys = new Float32Array(R * N);
  order.forEach((src, dst) => {
    xs.set(job.x.subarray(src * K, (src + 1) * K), dst * K);
    ys.set(job.y.subarray(src * N, (src + 1) * N), dst * N);
  });

  const g = {
    w: buffers.upload(job.w), s: buffers.upload(job.scales), z: buffers.upload(job.zeros),
    v: buffers.upload(v0), m1: buffers.upload(new Float32Array(count)), m2: buffers.upload(new Float32Array(count)),
    x: buffers.upload(xs), y: buffers.upload(ys),
    wq: buffers.acquire(count * 4), xb: buffers.acquire(B * K * 4), yb: buffers.acquire(B * N * 4),
    yq: buffers.acquire(B * N * 4), d: buffers.acquire(B * N * 4), dT: buffers.acquire(B * N * 4), gw: buffers.acquire(count * 4),
  };
  const grid = linearGrid(count, WG);
  const softUniforms = new UniformWriter(16).u32(count).u32(K).u32(job.bits).u32(grid.rowStride).bytes;
  const soft = (cmd: CommandBatch, hard: boolean) =>
    cmd.dispatch({ pipeline: ctx.pipelines.get(SOFT, 'main', { WG, HARD: hard ? 1 : 0 }), uniforms: softUniforms, buffers: [g.w, g.s, g.z, g.v, g.wq], workgroups: grid.workgroups, label: 'rounding' });

  const alpha = job.alpha ?? 0.01;
  const lr = job.lr ?? 1e-3;
  let t = 0;
  let cancelled = false;
  try {
    while (t < job.iterations) {
      if (job.signal?.aborted) {
        cancelled = true;
        break;
      }
      const cmd = new CommandBatch(ctx);
      for (let k = 0; k < ITERATIONS_PER_SUBMIT && t < job.iterations; k++, t++) {
        const start = R === B ? 0 : Math.floor(random() * (R - B + 1));
        soft(cmd, false);
        cmd.copy(g.x, g.xb, B * K * 4, start * K * 4);
        cmd.copy(g.y, g.yb, B * N * 4, start * N * 4);
        recordMatmul(ctx, cmd, g.xb, g.wq, g.yq, { M: B, K, N, transB: true });
        recordBinary(ctx, cmd, 'Sub', { buffer: g.yq, dims: [B, N], dtype: 'f32' }, { buffer: g.yb, dims: [B, N], dtype: 'f32' }, { buffer: g.d, dims: [B, N], dtype: 'f32' });
        recordStridedCopy(ctx, cmd, { dims: [N, B], src: g.d, srcOffset: 0, srcStrides: [1, N], dst: g.dT, dstOffset: 0, dstStrides: [B, 1] });
        recordMatmul(ctx, cmd, g.dT, g.xb, g.gw, { M: N, K: B, N: K });
        const { beta, active } = annealing(t, job.iterations);
        const uniforms = new UniformWriter(64)
          .u32(count).u32(K).u32(job.bits).u32(grid.rowStride)
          .f32(lr).f32(0.9).f32(0.999).f32(1e-8)
          .f32(active ? alpha : 0).f32(beta).f32(1 - 0.9 ** (t + 1)).f32(1 - 0.999 ** (t + 1))
          .f32(2 / B).u32(0).u32(0).u32(0).bytes;
        cmd.dispatch({
          pipeline: ctx.pipelines.get(ADAM, 'main', { WG }), uniforms,
          buffers: [g.w, g.s, g.z, g.gw, g.v, g.m1, g.m2], workgroups: grid.workgroups, label: 'rounding-adam',
        });
      }
      cmd.submit();
      await ctx.device.queue.onSubmittedWorkDone();
      job.onProgress?.(t, job.iterations);
    }
    if (cancelled) {
      // Nearest rounding: up exactly where the fractional part is at least one half.
      const nearest = new Float32Array(count);
      job.w.forEach((w, i) => {
        const r = w / job.scales[Math.floor(i / K)];
        nearest[i] = r - Math.floor(r) >= 0.5 ? 1 : -1;
      });
      ctx.device.queue.writeBuffer(g.v, 0, nearest);
    }
    const cmd = new CommandBatch(ctx);
    soft(cmd, true);
    cmd.submit();
    const weight = await readFloat32(ctx, g.wq, count);
    const v = await readFloat32(ctx, g.v, count);
    return { weight, up: Uint8Array.from(v, (x) => (x >= 0 ? 1 : 0)), v, iterations: t, cancelled };
  } finally {
    for (const b of Object.values(g)) buffers.release(b);
  }
}
