import { describe, expect, it } from 'vitest';
import { randomFloats } from '../../gpu/testing.ts';
import { annealing, initialV, rectifiedSigmoid, roundingGradient, roundingLoss, type RoundingProblem } from './reference.ts';

function tinyProblem(seed: number): RoundingProblem {
  const N = 3, K = 5, R = 4;
  const w = randomFloats(N * K, seed);
  const x = randomFloats(R * K, seed + 1);
  const y = new Float64Array(R * N);
  for (let r = 0; r < R; r++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) y[r * N + n] += x[r * K + k] * w[n * K + k];
  return { N, K, R, w, x, y, scales: [0.3, 0.25, 0.4], zeros: [3, 4, 2], bits: 3 };
}

describe('learned rounding, float64 reference', () => {
  it('starts with h equal to the fractional part of W/s', () => {
    for (const w of [0.37, -1.21, 2.05]) {
      const frac = w / 0.5 - Math.floor(w / 0.5);
      expect(rectifiedSigmoid(initialV(w, 0.5))).toBeCloseTo(frac, 5);
    }
  });

  for (const beta of [2, 8, 20]) {
    it(`its gradient matches central differences (β = ${beta})`, () => {
      const p = tinyProblem(beta);
      const v = Array.from(randomFloats(15, 40 + beta), (x) => x * 2);
      const alpha = 0.05;
      const grad = roundingGradient(p, v, alpha, beta);
      const h = 1e-6;
      for (let i = 0; i < v.length; i++) {
        const plus = [...v];
        const minus = [...v];
        plus[i] += h;
        minus[i] -= h;
        const numeric = (roundingLoss(p, plus, alpha, beta).total - roundingLoss(p, minus, alpha, beta).total) / (2 * h);
        expect(Math.abs(grad[i] - numeric)).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
      }
    });
  }

  it('the regulariser term alone matches its central difference', () => {
    const p = tinyProblem(7);
    const v = Array.from(randomFloats(15, 8));
    const zeroData = { ...p, x: new Float64Array(p.R * p.K), y: new Float64Array(p.R * p.N) };
    const grad = roundingGradient(zeroData, v, 1, 4);
    const h = 1e-6;
    const i = 5;
    const plus = [...v];
    const minus = [...v];
    plus[i] += h;
    minus[i] -= h;
    expect(grad[i]).toBeCloseTo((roundingLoss(zeroData, plus, 1, 4).reg - roundingLoss(zeroData, minus, 1, 4).reg) / (2 * h), 5);
  });

  it('anneals β from 20 to 2 after a 20% warm-up', () => {
    expect(annealing(0, 100)).toEqual({ beta: 20, active: false });
    expect(annealing(19, 100).active).toBe(false);
    expect(annealing(20, 100)).toEqual({ beta: 20, active: true });
    expect(annealing(99, 100).beta).toBeCloseTo(2, 10);
  });
});
