import { describe, expect, it } from 'vitest';
import { accuracy, aucContrast, fakeProbability, fakeScore, MetricsError, pairedAucDifference, rocAuc, rocAucFromLogits } from './metrics.ts';

/** The definition: P(fake score > real score) + ½ P(equal), over every fake/real pair. */
function bruteForceAuc(scores: number[], isFake: boolean[]): number {
  let wins = 0, pairs = 0;
  scores.forEach((f, i) => {
    if (!isFake[i]) return;
    scores.forEach((r, j) => {
      if (isFake[j]) return;
      pairs++;
      wins += f > r ? 1 : f === r ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647);
}

describe('rocAuc', () => {
  it('equals the pair count on random scores', () => {
    const rnd = random(3);
    const scores = Array.from({ length: 200 }, () => rnd());
    const isFake = scores.map(() => rnd() < 0.4);
    expect(rocAuc(scores, isFake)).toBeCloseTo(bruteForceAuc(scores, isFake), 12);
  });

  it('counts ties as half, matching the pair count on heavily tied scores', () => {
    const rnd = random(11);
    const scores = Array.from({ length: 150 }, () => Math.floor(rnd() * 4));
    const isFake = scores.map((s) => rnd() < 0.3 + s * 0.1);
    expect(rocAuc(scores, isFake)).toBeCloseTo(bruteForceAuc(scores, isFake), 12);
  });

  it('is 1 for perfect separation, 0 for inverted, 0.5 when all scores tie', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
    expect(rocAuc([1, 1, 1, 1], [false, true, false, true])).toBe(0.5);
  });

  it('needs both classes and matching lengths', () => {
    expect(() => rocAuc([1, 2], [true, true])).toThrow(MetricsError);
    expect(() => rocAuc([1, 2], [true])).toThrow('got 2 predictions but 1 labels');
    expect(() => rocAuc([NaN, 1], [true, false])).toThrow(/NaN/);
  });
});

describe('fake scores from logits', () => {
  it('is the log-odds of the softmax probability of the fake class', () => {
    const logits = [0.3, 2.0, -1.0];
    const e = logits.map(Math.exp);
    const p = e[1]! / (e[0]! + e[1]! + e[2]!);
    expect(fakeProbability(logits, 1)).toBeCloseTo(p, 12);
    expect(fakeScore(logits, 1)).toBeCloseTo(Math.log(p / (1 - p)), 12);
  });

  it('keeps confident images apart where probabilities would round to 1', () => {
    expect(fakeProbability([0, 40])).toBe(fakeProbability([0, 50]));
    expect(rocAucFromLogits([[0, 40], [0, 50]], [false, true])).toBe(1);
  });

  it('honours the fake index', () => {
    const logits = [[2, 0], [0, 2], [3, 1]];
    expect(rocAucFromLogits(logits, [true, false, true], 0)).toBe(1);
    expect(accuracy(logits, [true, false, true], 0)).toBe(1);
    expect(accuracy(logits, [true, false, true], 1)).toBe(0);
  });

  it('computes accuracy by argmax', () => {
    expect(accuracy([[1, 0], [0, 1], [0, 1], [2, 1]], [false, true, false, true])).toBe(0.5);
  });
});

describe('pairedAucDifference', () => {
  const gaussian = (rnd: () => number) => () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());

  it('is the difference of the two AUCs, ties included', () => {
    const rnd = random(5);
    const isFake = Array.from({ length: 90 }, () => rnd() < 0.5);
    const a = isFake.map((f) => Math.floor(rnd() * 5 + (f ? 1.5 : 0)));
    const b = isFake.map((f) => rnd() + (f ? 0.3 : 0));
    expect(pairedAucDifference(a, b, isFake).difference).toBeCloseTo(rocAuc(a, isFake) - rocAuc(b, isFake), 12);
  });

  it('is exactly zero, with no error, for the same scores', () => {
    const rnd = random(9);
    const isFake = Array.from({ length: 40 }, (_, i) => i % 2 === 0);
    const a = isFake.map((f) => rnd() + (f ? 0.5 : 0));
    expect(pairedAucDifference(a, a, isFake)).toEqual({ difference: 0, standardError: 0 });
  });

  it('predicts how far the difference spreads over independent samples of faces', () => {
    // Two correlated detectors (a shared signal, small private noise), as a model and its quantized copy are.
    const normal = gaussian(random(17));
    const differences: number[] = [];
    const errors: number[] = [];
    const aucs: number[] = [];
    for (let rep = 0; rep < 300; rep++) {
      const isFake = Array.from({ length: 120 }, (_, i) => i % 2 === 0);
      const shared = isFake.map((f) => normal() + (f ? 1.2 : 0));
      const a = shared.map((s) => s + 0.3 * normal());
      const b = shared.map((s) => s + 0.3 * normal());
      const r = pairedAucDifference(a, b, isFake);
      differences.push(r.difference);
      aucs.push(rocAuc(a, isFake));
      errors.push(r.standardError);
    }
    const spreadOf = (v: number[]) => {
      const mean = v.reduce((s, d) => s + d, 0) / v.length;
      return Math.sqrt(v.reduce((s, d) => s + (d - mean) ** 2, 0) / (v.length - 1));
    };
    const spread = spreadOf(differences);
    const predicted = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
    expect(predicted / spread).toBeGreaterThan(0.8);
    expect(predicted / spread).toBeLessThan(1.25);
    // Well below one AUC's own spread over the same samples: the pairing is what it measures.
    expect(predicted).toBeLessThan(0.7 * spreadOf(aucs));
  });

  it('needs two images of each class and matching lengths', () => {
    expect(() => pairedAucDifference([1, 2, 3], [1, 2, 3], [true, false, false])).toThrow(/two real and two fake/);
    expect(() => pairedAucDifference([1, 2], [1], [true, false])).toThrow('got 1 predictions but 2 labels');
  });
});

describe('aucContrast', () => {
  const gaussian = (rnd: () => number) => () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());

  it('is the weighted sum of the AUCs, and with weights 1, −1 the paired difference', () => {
    const rnd = random(23);
    const isFake = Array.from({ length: 70 }, () => rnd() < 0.4);
    const models = [0.2, 0.5, 1].map((shift) => isFake.map((f) => rnd() + (f ? shift : 0)));
    const weights = [0.5, 0.5, -1];
    const expected = models.reduce((s, m, k) => s + weights[k]! * rocAuc(m, isFake), 0);
    expect(aucContrast(models, weights, isFake).difference).toBeCloseTo(expected, 12);
    const pair = pairedAucDifference(models[0]!, models[2]!, isFake);
    const contrast = aucContrast([models[0]!, models[2]!], [1, -1], isFake);
    expect(contrast.difference).toBeCloseTo(pair.difference, 12);
    expect(contrast.standardError).toBeCloseTo(pair.standardError, 12);
  });

  it('predicts how far a mean over runs of a difference spreads over samples of faces', () => {
    // Two "methods", two runs each, all sharing the detector's signal: the mean difference over the runs.
    const normal = gaussian(random(29));
    const means: number[] = [];
    const errors: number[] = [];
    for (let rep = 0; rep < 300; rep++) {
      const isFake = Array.from({ length: 120 }, (_, i) => i % 2 === 0);
      const shared = isFake.map((f) => normal() + (f ? 1.2 : 0));
      const runs = [0, 1, 2, 3].map(() => shared.map((s) => s + 0.3 * normal()));
      const r = aucContrast(runs, [0.5, 0.5, -0.5, -0.5], isFake);
      means.push(r.difference);
      errors.push(r.standardError);
    }
    const mean = means.reduce((s, d) => s + d, 0) / means.length;
    const spread = Math.sqrt(means.reduce((s, d) => s + (d - mean) ** 2, 0) / (means.length - 1));
    const predicted = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
    expect(predicted / spread).toBeGreaterThan(0.8);
    expect(predicted / spread).toBeLessThan(1.25);
  });

  it('needs one weight per model', () => {
    expect(() => aucContrast([[1, 2, 3, 4]], [1, -1], [true, true, false, false])).toThrow('one weight per model; got 2 weights for 1 models');
  });
});
