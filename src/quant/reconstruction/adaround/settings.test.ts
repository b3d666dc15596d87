import { describe, expect, it } from 'vitest';
import { rectifiedSigmoid } from './reference.ts';
import { betaAt, vForFraction } from './settings.ts';

describe('AdaRound settings', () => {
  it('starts V so that h(V) is the fractional part', () => {
    for (const frac of [0, 0.001, 0.25, 0.5, 0.75, 0.999]) expect(rectifiedSigmoid(vForFraction(frac))).toBeCloseTo(frac, 12);
  });

  it('keeps the regulariser off for the first 20%, then decays β linearly from 20 to 2', () => {
    expect(betaAt(0, 100)).toEqual({ beta: 20, regularise: false });
    expect(betaAt(19, 100).regularise).toBe(false);
    expect(betaAt(20, 100)).toEqual({ beta: 20, regularise: true });
    expect(betaAt(60, 100).beta).toBeCloseTo(11, 12);
    expect(betaAt(100, 100).beta).toBeCloseTo(2, 12);
    const betas = Array.from({ length: 80 }, (_, i) => betaAt(20 + i, 100).beta);
    betas.slice(1).forEach((b, i) => expect(b).toBeLessThan(betas[i]));
  });
});
