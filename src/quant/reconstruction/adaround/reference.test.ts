import { describe, expect, it } from 'vitest';
import { randomFloats } from '../../../gpu/testing.ts';
import { chainToV, reconstructionLoss, rectifiedSigmoid, regulariser, weightGradient, type RoundingProblem } from './reference.ts';

/** N=3, K=5, R=4, 3 bits. The last weight of row 0 sits on the top code, so h > 0 clamps it (gradient 0). */
function tinyProblem(seed: number): RoundingProblem {
  const N = 3, K = 5, R = 4;
  const base = Float64Array.from(randomFloats(N * K, seed), (r) => Math.floor(r * 3));
  const zeros = [3, 4, 2];
  base[4] = 7 - zeros[0];
  const x = randomFloats(R * K, seed + 1);
  const y = Float64Array.from(randomFloats(R * N, seed + 2), (r) => r * 2);
  return { N, K, R, bits: 3, base, scales: [0.3, 0.25, 0.4], zeros, x, y };
}

/** V in (-2, 2), where h is not clipped, plus two entries far in the clipped tails (gradient 0). */
function variables(seed: number): number[] {
  const v = Array.from(randomFloats(15, seed), (r) => r * 2);
  v[7] = 3.5;
  v[11] = -4;
  return v;
}

function centralDifference(f: (v: number[]) => number, v: number[], i: number, step = 1e-6): number {
  const plus = [...v];
  const minus = [...v];
  plus[i] += step;
  minus[i] -= step;
  return (f(plus) - f(minus)) / (2 * step);
}

function expectGradientMatches(analytic: ArrayLike<number>, f: (v: number[]) => number, v: number[]): number {
  let nonZero = 0;
  for (let i = 0; i < v.length; i++) {
    const numeric = centralDifference(f, v, i);
    expect(Math.abs(analytic[i] - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
    if (Math.abs(numeric) > 1e-6) nonZero++;
  }
  return nonZero;
}

describe('AdaRound float64 reference against central differences (N=3, K=5, R=4)', () => {
  it('the reconstruction term (1/R)||X Wᵀ − X W~ᵀ||²', () => {
    const p = tinyProblem(1);
    const v = variables(2);
    const grad = chainToV(p, v, weightGradient(p, v), 0, 2);
    const nonZero = expectGradientMatches(grad, (w) => reconstructionLoss(p, w), v);
    expect(nonZero).toBeGreaterThanOrEqual(10);
    expect(grad[7]).toBe(0);
    expect(grad[11]).toBe(0);
    expect(grad[4]).toBe(0); // clamped at the top code
  });

  for (const beta of [2, 3.5, 8, 20]) {
    it(`the regulariser Σ(1 − |2h − 1|^β), β = ${beta}`, () => {
      const p = tinyProblem(3);
      const v = variables(4 + beta);
      const grad = chainToV(p, v, new Float64Array(15), 1, beta);
      const nonZero = expectGradientMatches(grad, (w) => regulariser(w, beta), v);
      expect(nonZero).toBeGreaterThanOrEqual(beta === 20 ? 3 : 10);
    });

    it(`the whole loss rec + α·reg, α = 0.5, β = ${beta}`, () => {
      const p = tinyProblem(5 + beta);
      const v = variables(6 + beta);
      const grad = chainToV(p, v, weightGradient(p, v), 0.5, beta);
      expectGradientMatches(grad, (w) => reconstructionLoss(p, w) + 0.5 * regulariser(w, beta), v);
    });
  }

  it('the regulariser is 0 at hard decisions and 1 at h = ½', () => {
    expect(regulariser([10, -10], 2)).toBe(0);
    expect(rectifiedSigmoid(0)).toBeCloseTo(0.5, 12);
    expect(regulariser([0], 20)).toBeCloseTo(1, 12);
  });
});
