import { describe, expect, it } from 'vitest';
import { randomFloats } from '../gpu/testing.ts';
import { contrastiveReference, type ContrastiveInputs } from './contrastive.ts';

describe('the contrastive loss of VEFT (eq. 9), float64 reference', () => {
  const B = 4, D = 6;
  const base: ContrastiveInputs = {
    anchors: Float64Array.from(randomFloats(B * D, 1)), pos1: Float64Array.from(randomFloats(B * D, 2)), pos2: Float64Array.from(randomFloats(B * D, 3)),
    B, D, tau: 0.5, w: 0.3,
  };

  for (const which of ['pos1', 'pos2'] as const) {
    it(`its gradient with respect to ${which} matches central differences`, () => {
      const { d1, d2 } = contrastiveReference(base);
      const grad = which === 'pos1' ? d1 : d2;
      const data = Float64Array.from(base[which]);
      const h = 1e-6;
      for (let i = 0; i < B * D; i++) {
        const at = (v: number) => {
          const changed = Float64Array.from(data);
          changed[i] = v;
          return contrastiveReference({ ...base, [which]: changed }).loss;
        };
        const numeric = (at(data[i] + h) - at(data[i] - h)) / (2 * h);
        expect(Math.abs(grad[i] - numeric)).toBeLessThan(1e-7);
        expect(Math.abs(numeric)).toBeGreaterThan(1e-5);
      }
    });
  }

  it('is −log(1/B) when every similarity is equal, and small when each positive matches its anchor best', () => {
    const ones = new Float64Array(B * D).fill(1);
    expect(contrastiveReference({ ...base, anchors: ones, pos1: ones, pos2: ones }).loss).toBeCloseTo(Math.log(B), 12);
    const aligned = contrastiveReference({ ...base, pos1: base.anchors, pos2: base.anchors, tau: 0.05 });
    expect(aligned.loss).toBeLessThan(0.1);
  });
});
