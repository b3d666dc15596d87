import { describe, expect, it } from 'vitest';
import { gpuForTests, randomFloats } from '../../gpu/testing.ts';
import { fakeQuantize, paramsForRange } from '../quantizer.ts';
import { learnRounding, type RoundingJob } from './gpu.ts';
import { roundingGradient, softWeight } from './reference.ts';

function layer(N: number, K: number, R: number, bits: number, seed: number): RoundingJob {
  const w = randomFloats(N * K, seed);
  const params = Array.from({ length: N }, (_, n) => {
    const row = w.subarray(n * K, (n + 1) * K);
    return paramsForRange(Math.min(...row), Math.max(...row), bits);
  });
  // Inputs with correlated channels, as real activations have.
  const base = randomFloats(R * 4, seed + 1);
  const x = Float32Array.from({ length: R * K }, (_, i) => base[Math.floor(i / K) * 4 + (i % 4)] + 0.1 * Math.sin(i));
  const y = new Float32Array(R * N);
  for (let r = 0; r < R; r++) for (let n = 0; n < N; n++) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += x[r * K + k] * w[n * K + k];
    y[r * N + n] = acc;
  }
  return {
    w, N, K, R, x, y, bits, iterations: 0,
    scales: Float32Array.from(params, (p) => p.scale),
    zeros: Float32Array.from(params, (p) => p.zeroPoint),
  };
}

function outputError(job: RoundingJob, wq: ArrayLike<number>): number {
  let err = 0;
  for (let r = 0; r < job.R; r++) for (let n = 0; n < job.N; n++) {
    let acc = 0;
    for (let k = 0; k < job.K; k++) acc += job.x[r * job.K + k] * wq[n * job.K + k];
    err += (acc - job.y[r * job.N + n]) ** 2;
  }
  return err / job.R;
}

const nearest = (job: RoundingJob) => Float32Array.from(job.w, (w, i) => {
  const n = Math.floor(i / job.K);
  return fakeQuantize(w, { scale: job.scales[n], zeroPoint: job.zeros[n], bits: job.bits });
});

describe('learned rounding on the GPU', () => {
  for (const alpha of [0, 0.05]) it(`takes its first Adam step against the reference gradient (α = ${alpha})`, async () => {
    const ctx = await gpuForTests();
    const job = layer(4, 8, 16, 3, 3);
    const v = Float32Array.from(randomFloats(32, 4), (x) => x * 1.5);
    const lr = 1e-3;
    // A one-iteration schedule has no warm-up and ends at β = 2.
    const result = await learnRounding(ctx, { ...job, v, iterations: 1, lr, alpha, batchRows: 16 });
    const grad = roundingGradient(job, v, alpha, 2);
    let checked = 0;
    grad.forEach((g, i) => {
      if (Math.abs(g) < 1e-4) return;
      // Adam's first step is -lr · sign(g).
      expect(result.v[i] - v[i]).toBeCloseTo(-lr * Math.sign(g), 6);
      checked++;
    });
    expect(checked).toBeGreaterThan(10);
  });

  it('lowers the output error below nearest rounding and ends with hard decisions', async () => {
    const ctx = await gpuForTests();
    const job = layer(16, 32, 64, 3, 11);
    const result = await learnRounding(ctx, { ...job, iterations: 400, lr: 1e-2, seed: 1 });
    expect(result.cancelled).toBe(false);
    const hard = softWeight(job, result.v, true);
    result.weight.forEach((w, i) => expect(w).toBeCloseTo(hard[i], 5));
    expect(outputError(job, result.weight)).toBeLessThan(outputError(job, nearest(job)));
  });

  it('cancelled, keeps nearest rounding', async () => {
    const ctx = await gpuForTests();
    const job = layer(8, 16, 32, 4, 21);
    const controller = new AbortController();
    controller.abort();
    const result = await learnRounding(ctx, { ...job, iterations: 100, signal: controller.signal });
    expect(result.cancelled).toBe(true);
    expect(result.iterations).toBe(0);
    const want = nearest(job);
    let differ = 0;
    result.weight.forEach((w, i) => (differ += Math.abs(w - want[i]) > 1e-6 ? 1 : 0));
    expect(differ).toBeLessThanOrEqual(1); // a weight exactly at a tie may round the other way
  });
});
