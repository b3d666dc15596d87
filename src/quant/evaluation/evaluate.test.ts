import { describe, expect, it } from 'vitest';
import { predictedClass } from '../../data/metrics.ts';
import { agreement } from './evaluate.ts';

describe('agreement', () => {
  it('compares the predicted classes of two-class logits', () => {
    expect(agreement([[0, 1], [2, 1], [0.5, 0.4]], [[0, 2], [1, 3], [0.1, 0.9]])).toBeCloseTo(1 / 3, 12);
  });

  it('reads a single output as a sigmoid logit, not an argmax that is always 0', () => {
    expect([[-2], [0], [3]].map(predictedClass)).toEqual([0, 0, 1]);
    expect(agreement([[1.5], [-0.5], [2]], [[0.1], [0.3], [-1]])).toBeCloseTo(1 / 3, 12);
  });
});
