import { describe, expect, it } from 'vitest';
import { recordMatmul } from '../../../engine/kernels/matmul.ts';
import type { GpuContext } from '../../../gpu/device.ts';
import { CommandBatch } from '../../../gpu/encoder.ts';
import { readBuffer, readFloat32 } from '../../../gpu/readback.ts';
import { gpuForTests, randomFloats } from '../../../gpu/testing.ts';
import {
  recordAdamStep, recordGatherRows, recordLoss, recordQuantizedWeight, recordVGradient, recordWeightGradient, type RoundingBuffers,
} from './kernels.ts';
import { hardWeight, prepareLayer } from './problem.ts';
import { adamStep, chainToV, lossGradient, regulariser, softWeight, type RoundingProblem } from './reference.ts';

/** max |got − want| / max |want|. */
function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  expect(scale).toBeGreaterThan(0);
  return diff / scale;
}

/** A random layer with its rounding problem; V in (−2, 2) with a few entries in the clipped tails. */
function layer(N: number, K: number, R: number, bits: number, seed: number) {
  const prepared = prepareLayer(randomFloats(N * K, seed), 'NxK', N, K, bits);
  const x = randomFloats(R * K, seed + 1);
  const y = Float32Array.from(randomFloats(R * N, seed + 2), (r) => r * 2);
  const problem: RoundingProblem = { N, K, R, bits, base: prepared.base, scales: prepared.scales, zeros: prepared.zeros, x, y };
  const v = Float32Array.from(randomFloats(N * K, seed + 3), (r, i) => (i % 11 === 3 ? 5 * Math.sign(r) : 2 * r));
  return { prepared, problem, v };
}

function onGpu(ctx: GpuContext, problem: RoundingProblem, v: Float32Array) {
  const owned: GPUBuffer[] = [];
  const up = (a: Float32Array | Uint32Array) => (owned.push(ctx.buffers.upload(a)), owned[owned.length - 1]);
  const make = (n: number) => (owned.push(ctx.buffers.acquire(n * 4)), owned[owned.length - 1]);
  const state: RoundingBuffers = {
    N: problem.N, K: problem.K, bits: problem.bits,
    base: up(Float32Array.from(problem.base)), scales: up(Float32Array.from(problem.scales)), zeros: up(Float32Array.from(problem.zeros)),
    v: up(v),
  };
  return { state, up, make, release: () => owned.forEach((b) => ctx.buffers.release(b)) };
}

async function run(ctx: GpuContext, record: (cmd: CommandBatch) => void): Promise<void> {
  ctx.device.pushErrorScope('validation');
  const cmd = new CommandBatch(ctx);
  record(cmd);
  cmd.submit();
  const error = await ctx.device.popErrorScope();
  if (error) throw new Error(`WebGPU validation: ${error.message}`);
}

describe('AdaRound kernels against the float64 reference', () => {
  for (const [N, K, bits] of [[5, 7, 3], [8, 12, 2], [16, 32, 4]] as const) {
    it(`quantized weight W~, soft and hard (${N}x${K}, ${bits} bits)`, async () => {
      const ctx = await gpuForTests();
      const { prepared, problem, v } = layer(N, K, 1, bits, N + K);
      const g = onGpu(ctx, problem, v);
      try {
        const soft = g.make(N * K);
        const hard = g.make(N * K);
        await run(ctx, (cmd) => {
          recordQuantizedWeight(ctx, cmd, g.state, soft, false);
          recordQuantizedWeight(ctx, cmd, g.state, hard, true);
        });
        expect(relError(await readFloat32(ctx, soft, N * K), softWeight(problem, v))).toBeLessThan(1e-6);
        const decisions = Uint8Array.from(v, (x) => (x >= 0 ? 1 : 0));
        expect(Array.from(await readFloat32(ctx, hard, N * K))).toEqual(Array.from(hardWeight(prepared, decisions)));
      } finally {
        g.release();
      }
    });
  }

  for (const [R, N, K] of [[12, 6, 10], [37, 19, 45], [64, 40, 36]] as const) {
    it(`weight gradient (2/R)(Ỹ − Y)ᵀX, a transposed-A product (R=${R}, N=${N}, K=${K})`, async () => {
      const ctx = await gpuForTests();
      const yq = randomFloats(R * N, R);
      const y = randomFloats(R * N, R + 1);
      const x = randomFloats(R * K, R + 2);
      const want = new Float64Array(N * K);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) {
        for (let r = 0; r < R; r++) want[n * K + k] += (yq[r * N + n] - y[r * N + n]) * x[r * K + k];
        want[n * K + k] *= 2 / R;
      }
      const bufs = [yq, y, x].map((a) => ctx.buffers.upload(a));
      const out = ctx.buffers.acquire(N * K * 4);
      try {
        await run(ctx, (cmd) => recordWeightGradient(ctx, cmd, bufs[0], bufs[1], bufs[2], out, { R, N, K }, 2 / R));
        expect(relError(await readFloat32(ctx, out, N * K), want)).toBeLessThan(1e-5);
      } finally {
        [...bufs, out].forEach((b) => ctx.buffers.release(b));
      }
    });
  }

  for (const [alpha, beta] of [[0, 2], [1, 2], [0.01, 8], [1, 20]] as const) {
    it(`chain rule to V with the regulariser (α=${alpha}, β=${beta})`, async () => {
      const ctx = await gpuForTests();
      const { problem, v } = layer(9, 14, 1, 3, 30 + beta);
      const gw = Float32Array.from(randomFloats(9 * 14, 31), (r) => r * 0.5);
      const g = onGpu(ctx, problem, v);
      try {
        const gwBuf = g.up(gw);
        const out = g.make(9 * 14);
        await run(ctx, (cmd) => recordVGradient(ctx, cmd, g.state, gwBuf, out, { alpha, beta }));
        const got = await readFloat32(ctx, out, 9 * 14);
        const want = chainToV(problem, v, gw, alpha, beta);
        expect(relError(got, want)).toBeLessThan(1e-4);
        expect(want.filter((d) => d !== 0).length).toBeGreaterThan(50);
        got.forEach((d, i) => expect(d === 0).toBe(want[i] === 0));
      } finally {
        g.release();
      }
    });
  }

  it('one whole gradient on the GPU (soft W~, forward product, weight gradient, chain rule) equals dL/dV', async () => {
    const ctx = await gpuForTests();
    const N = 12, K = 20, R = 24, alpha = 0.5, beta = 6;
    const { problem, v } = layer(N, K, R, 3, 50);
    const g = onGpu(ctx, problem, v);
    try {
      const x = g.up(Float32Array.from(problem.x));
      const y = g.up(Float32Array.from(problem.y));
      const [wq, yq, gw, gv] = [N * K, R * N, N * K, N * K].map(g.make);
      await run(ctx, (cmd) => {
        recordQuantizedWeight(ctx, cmd, g.state, wq, false);
        recordMatmul(ctx, cmd, x, wq, yq, { M: R, K, N, transB: true });
        recordWeightGradient(ctx, cmd, yq, y, x, gw, { R, N, K }, 2 / R);
        recordVGradient(ctx, cmd, g.state, gw, gv, { alpha, beta });
      });
      expect(relError(await readFloat32(ctx, gv, N * K), lossGradient(problem, v, alpha, beta))).toBeLessThan(1e-4);
    } finally {
      g.release();
    }
  });

  it('Adam steps on V: moments and V follow the reference over 3 steps', async () => {
    const ctx = await gpuForTests();
    const N = 7, K = 9, alpha = 0.2, beta = 4, lr = 0.01;
    const { problem, v } = layer(N, K, 1, 3, 60);
    const gw = Float32Array.from(randomFloats(N * K, 61), (r) => r * 0.3);
    const g = onGpu(ctx, problem, v);
    try {
      const gwBuf = g.up(gw);
      const m = g.up(new Float32Array(N * K));
      const u = g.up(new Float32Array(N * K));
      const ref = { v: Float64Array.from(v), m: new Float64Array(N * K), u: new Float64Array(N * K) };
      await run(ctx, (cmd) => {
        for (let t = 1; t <= 3; t++) {
          recordAdamStep(ctx, cmd, g.state, gwBuf, m, u, { t, lr, alpha, beta, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
          adamStep(ref, chainToV(problem, ref.v, gw, alpha, beta), t, lr);
        }
      });
      expect(relError(await readFloat32(ctx, m, N * K), ref.m)).toBeLessThan(1e-4);
      expect(relError(await readFloat32(ctx, u, N * K), ref.u)).toBeLessThan(1e-4);
      const vGot = await readFloat32(ctx, g.state.v, N * K);
      vGot.forEach((x, i) => expect(Math.abs(x - ref.v[i])).toBeLessThan(1e-5));
      expect(vGot.filter((x, i) => Math.abs(x - v[i]) > 0.02).length).toBeGreaterThan(20);
    } finally {
      g.release();
    }
  });

  it('loss terms: scaled Σ(Ỹ − Y)² with accumulation, and the regulariser', async () => {
    const ctx = await gpuForTests();
    const count = 700, vCount = 300;
    const yq = randomFloats(count, 70);
    const y = randomFloats(count, 71);
    const v = Float32Array.from(randomFloats(vCount, 72), (r) => 3 * r);
    const bufs = [yq, y, v].map((a) => ctx.buffers.upload(a));
    const out = ctx.buffers.upload(new Float32Array(4));
    try {
      await run(ctx, (cmd) => {
        recordLoss(ctx, cmd, bufs[0], bufs[1], out, { count, scale: 0.25, accumulate: false, slot: 0, regulariser: { v: bufs[2], count: vCount, beta: 7 } });
        recordLoss(ctx, cmd, bufs[0], bufs[1], out, { count: 500, scale: 1, accumulate: false, slot: 2 });
        recordLoss(ctx, cmd, bufs[1], bufs[0], out, { count: 500, scale: 0.5, accumulate: true, slot: 2 });
      });
      const got = await readFloat32(ctx, out, 3);
      const sq = (n: number) => Array.from(yq.subarray(0, n), (a, i) => (a - y[i]) ** 2).reduce((s, d) => s + d, 0);
      expect(got[0]).toBeCloseTo(0.25 * sq(count), 3);
      expect(got[1]).toBeCloseTo(regulariser(v, 7), 3);
      expect(got[2]).toBeCloseTo(1.5 * sq(500), 3);
    } finally {
      [...bufs, out].forEach((b) => ctx.buffers.release(b));
    }
  });

  it('gathers minibatch rows by index', async () => {
    const ctx = await gpuForTests();
    const src = randomFloats(10 * 3, 80);
    const index = Uint32Array.from([9, 0, 4, 4, 2, 7]);
    const s = ctx.buffers.upload(src);
    const idx = ctx.buffers.upload(index);
    const out = ctx.buffers.acquire(4 * 3 * 4);
    try {
      await run(ctx, (cmd) => recordGatherRows(ctx, cmd, s, idx, 2, 4, 3, out));
      const want = [4, 4, 2, 7].flatMap((r) => Array.from(src.subarray(r * 3, r * 3 + 3)));
      expect(Array.from(new Float32Array(await readBuffer(ctx, out, 48)))).toEqual(want);
    } finally {
      [s, idx, out].forEach((b) => ctx.buffers.release(b));
    }
  });
});
