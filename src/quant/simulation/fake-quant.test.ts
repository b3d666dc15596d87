import { describe, expect, it } from 'vitest';
import { matmulReference } from '../../engine/cpu/matmul.ts';
import { randomFloats } from '../../gpu/testing.ts';
import {
  distanceToRoundingBoundary, fakeQuantActivations, fakeQuantMatmulReference, fakeQuantWeights,
  learnedFakeQuantize, weightQuantOf, type QuantMatmulShape, type WeightQuant,
} from './fake-quant.ts';
import { paramsForRange, perChannelParams } from './quantizer.ts';

const one = (scale: number, zeroPoint: number, bits: number, offsets?: number[]): WeightQuant => ({
  scales: Float32Array.of(scale), zeroPoints: Float32Array.of(zeroPoint), bits, offsets: offsets && Float32Array.from(offsets),
});
const row = (values: number[]) => Float32Array.from(values);
const shape1 = (K: number): QuantMatmulShape => ({ M: 1, K, N: 1, layout: 'NxK' });

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

describe('fake-quant weights (per output channel)', () => {
  it('rounds ties to even, not away from zero', () => {
    // scale 0.25: x/s = 0.5, 1.5, 2.5, -0.5, -1.5 -> 0, 2, 2, -0, -2 levels
    const wq = fakeQuantWeights(row([0.125, 0.375, 0.625, -0.125, -0.375]), shape1(5), one(0.25, 8, 4));
    expect(Array.from(wq)).toEqual([0, 0.5, 0.5, 0, -0.5]);
  });

  it('clamps at level 0 and at 2^k - 1, after adding the zero point', () => {
    // 3 bits, z = 2: levels 0..7 hold x/s in -2..5
    const wq = fakeQuantWeights(row([-10, -2, 5, 6, 100]), shape1(5), one(1, 2, 3));
    expect(Array.from(wq)).toEqual([-2, -2, 5, 5, 5]);
  });

  it('keeps zero exact for any zero point, and shifts the grid with it', () => {
    for (const z of [0, 1, 7, 15]) {
      const wq = fakeQuantWeights(row([0, 0.3, -0.3]), shape1(3), one(0.1, z, 4));
      expect(wq[0]).toBe(0);
      expect(wq[1]).toBeCloseTo(Math.min(3, 15 - z) * 0.1, 6);
      expect(wq[2]).toBeCloseTo(-Math.min(3, z) * 0.1, 6);
    }
  });

  it('turns a degenerate (all-zero) channel into zeros without NaN', () => {
    const w = new Float32Array(6);
    const q = weightQuantOf(perChannelParams(w, 2, 3, 2));
    const wq = fakeQuantWeights(w, { K: 3, N: 2, layout: 'NxK' }, q);
    expect(Array.from(wq)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('represents a constant nonzero channel exactly (its range is widened to hold zero)', () => {
    const w = row([0.7, 0.7, 0.7]);
    const wq = fakeQuantWeights(w, shape1(3), weightQuantOf(perChannelParams(w, 1, 3, 2)));
    for (const v of wq) expect(v).toBeCloseTo(0.7, 6);
  });

  it('learned rounding: h = 0 rounds down, h = 1 up, soft h in between, clamped at the ends', () => {
    const s = 0.25;
    expect(learnedFakeQuantize(0.3, 0, s, 0, 4)).toBe(0.25);
    expect(learnedFakeQuantize(0.3, 1, s, 0, 4)).toBe(0.5);
    expect(learnedFakeQuantize(0.3, 0.5, s, 0, 4)).toBeCloseTo(0.375, 7);
    expect(learnedFakeQuantize(-0.3, 0, s, 4, 4)).toBe(-0.5);
    expect(learnedFakeQuantize(-0.3, 1, s, 4, 4)).toBe(-0.25);
    expect(learnedFakeQuantize(3.9, 1, s, 0, 4)).toBe(15 * s); // floor 15 + 1 clamps to 15
    expect(learnedFakeQuantize(-5, 0, s, 2, 4)).toBe(-2 * s); // clamps at level 0
    const wq = fakeQuantWeights(row([0.3, 0.3]), shape1(2), one(s, 0, 4, [0, 1]));
    expect(Array.from(wq)).toEqual([0.25, 0.5]);
  });

  it('assigns channels by output column in both layouts', () => {
    const N = 3;
    const K = 4;
    const w = randomFloats(N * K, 5);
    const q = weightQuantOf(perChannelParams(w, N, K, 3), Float32Array.from(randomFloats(N * K, 6), (v) => (v + 1) / 2));
    const nk = fakeQuantWeights(w, { K, N, layout: 'NxK' }, q);
    const kn = fakeQuantWeights(transpose(w, N, K), { K, N, layout: 'KxN' }, { ...q, offsets: transpose(q.offsets!, N, K) });
    expect(Array.from(transpose(kn, K, N))).toEqual(Array.from(nk));
    // Each channel holds at most 2^3 distinct values.
    for (let n = 0; n < N; n++) expect(new Set(nk.subarray(n * K, (n + 1) * K)).size).toBeLessThanOrEqual(8);
  });

  it('rejects bad inputs with a one-line message', () => {
    expect(() => fakeQuantWeights(row([1]), shape1(1), one(1, 0, 9))).toThrow(/weight bits must be .* 2\.\.8, got 9/);
    expect(() => fakeQuantWeights(row([1, 2]), shape1(1), one(1, 0, 4))).toThrow(/weight has 2 values, expected K\*N = 1/);
    expect(() => fakeQuantWeights(row([1]), shape1(1), one(1, 0, 4, [0, 1]))).toThrow(/2 rounding offsets for 1 weights/);
    expect(() => fakeQuantActivations(row([1]), { scale: 1, zeroPoint: 0, bits: 1 })).toThrow(/activation bits/);
    expect(() => weightQuantOf([{ scale: 1, zeroPoint: 0, bits: 2 }, { scale: 1, zeroPoint: 0, bits: 3 }])).toThrow(/one bit width/);
    expect(() => fakeQuantMatmulReference(row([1]), row([1]), { M: 1, K: 1, N: 1, layout: 'MxN' as 'NxK' }, one(1, 0, 4), null)).toThrow(/layout/);
  });
});

describe('fake-quant activations (per tensor)', () => {
  it('rounds ties to even and clamps to the asymmetric range', () => {
    const act = { scale: 0.5, zeroPoint: 3, bits: 4 }; // levels 0..15: x in -1.5 .. 6
    expect(Array.from(fakeQuantActivations(row([0.25, 0.75, -0.25, -9, 9]), act))).toEqual([0, 1, 0, -1.5, 6]);
  });
});

describe('the fake-quant matmul reference', () => {
  const M = 5;
  const K = 7;
  const N = 3;
  const x = randomFloats(M * K, 1);
  const w = randomFloats(N * K, 2);
  const q = weightQuantOf(perChannelParams(w, N, K, 3));
  const act = paramsForRange(-0.8, 0.9, 4);

  it('is the float64 product of the quantized operands, plus bias', () => {
    const bias = randomFloats(N, 3);
    const got = fakeQuantMatmulReference(x, w, { M, K, N, layout: 'NxK' }, q, act, bias);
    const want = matmulReference(fakeQuantActivations(x, act), fakeQuantWeights(w, { K, N, layout: 'NxK' }, q), { M, K, N, transB: true }, bias);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('gives the same Y for a weight stored K x N', () => {
    const nk = fakeQuantMatmulReference(x, w, { M, K, N, layout: 'NxK' }, q, act);
    const kn = fakeQuantMatmulReference(x, transpose(w, N, K), { M, K, N, layout: 'KxN' }, q, act);
    expect(Array.from(kn)).toEqual(Array.from(nk));
  });

  it('leaves X unquantized without an activation quantizer, and quantization changes Y', () => {
    const weightOnly = fakeQuantMatmulReference(x, w, { M, K, N, layout: 'NxK' }, q, null);
    const full = fakeQuantMatmulReference(x, w, { M, K, N, layout: 'NxK' }, q, act);
    const want = matmulReference(x, fakeQuantWeights(w, { K, N, layout: 'NxK' }, q), { M, K, N, transB: true });
    expect(Array.from(weightOnly)).toEqual(Array.from(want));
    expect(Array.from(full)).not.toEqual(Array.from(weightOnly));
  });

  it('accumulates in float64 (a float32 sum would lose the 1)', () => {
    const big = 2 ** 25;
    const exact = fakeQuantMatmulReference(row([big, 1, -big]), row([1, 1, 1]), shape1(3), one(1, 0, 8), null);
    expect(exact[0]).toBe(1);
  });
});

describe('distance to the rounding boundary', () => {
  it('is measured to half-integers for nearest rounding and to integers for floor', () => {
    expect(distanceToRoundingBoundary(2.5, false)).toBe(0);
    expect(distanceToRoundingBoundary(-1.5, false)).toBe(0);
    expect(distanceToRoundingBoundary(2, false)).toBe(0.5);
    expect(distanceToRoundingBoundary(3, true)).toBe(0);
    expect(distanceToRoundingBoundary(2.75, true)).toBeCloseTo(0.25, 12);
  });
});
