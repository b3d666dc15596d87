import { describe, expect, it } from 'vitest';
import { gpuForTests, randomFloats } from '../../../gpu/testing.ts';
import { fakeQuantize, perChannelParams } from '../../simulation/quantizer.ts';
import { hardWeight, prepareLayer, transpose } from './problem.ts';
import { reconstructLayer, type ReconstructOptions } from './reconstruct.ts';

/** A synthetic layer whose inputs have correlated channels (as activations do): rank-4 plus noise. */
function synthetic(N: number, K: number, R: number, seed: number) {
  const weight = randomFloats(N * K, seed);
  const factors = randomFloats(R * 4, seed + 1);
  const mix = randomFloats(4 * K, seed + 2);
  const noise = randomFloats(R * K, seed + 3);
  const x = new Float32Array(R * K);
  for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) {
    let acc = 0.1 * noise[r * K + k];
    for (let f = 0; f < 4; f++) acc += factors[r * 4 + f] * mix[f * K + k];
    x[r * K + k] = acc;
  }
  return { weight, x };
}

/** (1/R) Σ (x·wqᵀ − xFp·wᵀ)², in float64. */
function outputMse(xIn: Float32Array, xFp: Float32Array, w: Float32Array, wq: Float32Array, N: number, K: number, R: number): number {
  let sum = 0;
  for (let r = 0; r < R; r++) for (let n = 0; n < N; n++) {
    let d = 0;
    for (let k = 0; k < K; k++) d += xIn[r * K + k] * wq[n * K + k] - xFp[r * K + k] * w[n * K + k];
    sum += d * d;
  }
  return sum / R;
}

function nearestWeight(w: Float32Array, N: number, K: number, bits: number): Float32Array {
  const params = perChannelParams(w, N, K, bits);
  return Float32Array.from(w, (v, i) => fakeQuantize(v, params[Math.floor(i / K)]));
}

const close = (got: number, want: number, rel: number) => expect(Math.abs(got - want)).toBeLessThan(rel * Math.abs(want));

describe('AdaRound reconstruction of one layer on the GPU', () => {
  const N = 16, K = 32, R = 64, bits = 3;
  const { weight, x } = synthetic(N, K, R, 1);
  const base: ReconstructOptions = { weight, N, K, bits, xIn: x, rows: R, seed: 1 };

  it('lowers the output error below round-to-nearest and ends with hard decisions on the grid', async () => {
    const ctx = await gpuForTests();
    const result = await reconstructLayer(ctx, base);
    console.log(`adaround ${N}x${K}, R=${R}, ${result.iterations} iterations: ${result.ms.toFixed(0)} ms; ` +
      `loss ${result.loss.start.toFixed(4)} → ${result.loss.end.toFixed(4)}; up ${result.roundedUp}, down ${result.roundedDown}`);
    expect(result.cancelled).toBe(false);
    expect(result.iterations).toBe(500);

    const prepared = prepareLayer(weight, 'NxK', N, K, bits);
    expect(result.rounding.every((h) => h === 0 || h === 1)).toBe(true);
    expect(Array.from(result.weightQ)).toEqual(Array.from(hardWeight(prepared, result.rounding)));

    const nearest = nearestWeight(weight, N, K, bits);
    const nearestMse = outputMse(x, x, weight, nearest, N, K, R);
    const learnedMse = outputMse(x, x, weight, result.weightQ, N, K, R);
    close(result.loss.start, nearestMse, 1e-4);
    close(result.loss.end, learnedMse, 1e-4);
    expect(learnedMse).toBeLessThan(0.8 * nearestMse);

    let up = 0, down = 0;
    result.weightQ.forEach((w, i) => (w > nearest[i] ? up++ : w < nearest[i] ? down++ : 0));
    expect({ up, down }).toEqual({ up: result.roundedUp, down: result.roundedDown });
    expect(up + down).toBeGreaterThan(0);

    // The annealed regulariser has pushed the soft h to 0 or 1 by the end.
    const history = result.loss.history;
    expect(history[0].iteration).toBe(0);
    expect(history[history.length - 1].iteration).toBe(499);
    expect(history[history.length - 1].reg).toBeLessThan(0.02 * N * K);
  });

  it('is deterministic for a seed with sampled minibatches, and a KxN weight gives the transposed result', async () => {
    const ctx = await gpuForTests();
    const options = { ...base, iterations: 60, batchRows: 16, seed: 5, lossEvery: 10 };
    const a = await reconstructLayer(ctx, options);
    const b = await reconstructLayer(ctx, options);
    const t = await reconstructLayer(ctx, { ...options, weight: transpose(weight, N, K), layout: 'KxN' });
    const other = await reconstructLayer(ctx, { ...options, seed: 6 });
    expect(a.loss.history.map((h) => h.iteration)).toEqual([0, 10, 20, 30, 40, 50, 59]);
    expect(b.loss.history).toEqual(a.loss.history);
    expect(Array.from(b.rounding)).toEqual(Array.from(a.rounding));
    expect(Array.from(t.weightQ)).toEqual(Array.from(transpose(a.weightQ, N, K)));
    expect(t.loss.history).toEqual(a.loss.history);
    // Another seed draws other minibatches (the first record is on the same V, a different batch).
    expect(other.loss.history[0].rec).not.toBe(a.loss.history[0].rec);
  });

  it('measures the targets on the FP inputs when they differ from the quantized-path inputs', async () => {
    const ctx = await gpuForTests();
    const xIn = Float32Array.from(x, (v, i) => v + 0.05 * Math.sin(i));
    const result = await reconstructLayer(ctx, { ...base, xIn, xFp: x, iterations: 10 });
    close(result.loss.start, outputMse(xIn, x, weight, nearestWeight(weight, N, K, bits), N, K, R), 1e-4);
    close(result.loss.end, outputMse(xIn, x, weight, result.weightQ, N, K, R), 1e-4);
  });

  it('cancelled mid-run, returns round-to-nearest and leaves the GPU usable', async () => {
    const ctx = await gpuForTests();
    const controller = new AbortController();
    let progressCalls = 0;
    const result = await reconstructLayer(ctx, {
      ...base, iterations: 5000, signal: controller.signal,
      onProgress: (p) => {
        progressCalls++;
        expect(p.loss?.rec).toBeGreaterThan(0);
        controller.abort();
      },
    });
    expect(result.cancelled).toBe(true);
    expect(progressCalls).toBe(1);
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.iterations).toBeLessThan(5000);
    expect(Array.from(result.weightQ)).toEqual(Array.from(nearestWeight(weight, N, K, bits)));
    expect({ up: result.roundedUp, down: result.roundedDown }).toEqual({ up: 0, down: 0 });
    expect(result.loss.end).toBe(result.loss.start);

    const preAborted = await reconstructLayer(ctx, { ...base, signal: AbortSignal.abort() });
    expect(preAborted.iterations).toBe(0);
    expect(preAborted.cancelled).toBe(true);

    const after = await reconstructLayer(ctx, { ...base, iterations: 20 });
    expect(after.cancelled).toBe(false);
    expect(after.iterations).toBe(20);
  });

  it('rejects inputs of the wrong size with a clear message', async () => {
    const ctx = await gpuForTests();
    await expect(reconstructLayer(ctx, { ...base, xIn: x.subarray(1) })).rejects.toThrow(/xIn has 2047 values, expected rows·K = 64·32/);
    await expect(reconstructLayer(ctx, { ...base, lr: -1 })).rejects.toThrow(/lr must be/);
  });
});
