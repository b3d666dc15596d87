import { describe, expect, it } from 'vitest';
import { accuracy, fakeProbability, fakeScore, MetricsError, rocAuc, rocAucFromLogits } from './metrics.ts';

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
