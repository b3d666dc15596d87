import { describe, expect, it } from 'vitest';
import { rocAuc } from '../data/metrics.ts';
import type { LabelledBatch, Scores } from '../quant/evaluation/evaluate.ts';
import { versusAdaRound, type ScoredRun } from './sweep-pairs.ts';

// Eight images in two batches, fakes (class 1) at odd positions.
const batches: LabelledBatch[] = [
  { pixels: new Float32Array(0), count: 4, isFake: [false, true, false, true] },
  { pixels: new Float32Array(0), count: 4, isFake: [false, true, false, true] },
];
const isFake = batches.flatMap((b) => b.isFake);

/** Scores whose fake logit is `fake[i]` and real logit 0. */
function scores(fake: number[]): Scores {
  return { n: fake.length, accuracy: 0, auc: rocAuc(fake, isFake), logits: fake.map((f) => [0, f]) };
}

const perfect = scores([0, 5, 1, 6, 2, 7, 3, 8]);
const oneSwap = scores([0, 5, 1, 6, 2, 7, 9, 8]);
const twoSwaps = scores([6, 5, 1, 6, 2, 7, 9, 8]);

describe('versusAdaRound', () => {
  it("pairs each run with AdaRound's at its own budget", () => {
    const runs: ScoredRun[] = [
      { method: 'rtn', budget: 4, scores: twoSwaps },
      { method: 'adaround', budget: 4, scores: oneSwap },
      { method: 'adaround', budget: 6, scores: perfect },
      { method: 'defakeq', budget: 4, scores: perfect },
      { method: 'defakeq', budget: 6, scores: oneSwap },
    ];
    const d = versusAdaRound(runs, batches);
    expect(d[1]).toBeNull();
    expect(d[2]).toBeNull();
    expect(d[0]!.difference).toBeCloseTo(twoSwaps.auc - oneSwap.auc, 12);
    expect(d[3]!.difference).toBeCloseTo(perfect.auc - oneSwap.auc, 12);
    expect(d[4]!.difference).toBeCloseTo(oneSwap.auc - perfect.auc, 12);
    expect(d[3]!.difference).toBeGreaterThan(0);
    expect(d[4]!.standardError).toBeGreaterThan(0);
  });

  it('gives no comparison where AdaRound has no run at that budget', () => {
    const d = versusAdaRound([{ method: 'defakeq', budget: 3, scores: perfect }, { method: 'adaround', budget: 4, scores: perfect }], batches);
    expect(d).toEqual([null, null]);
  });

  it('reads the fake class from the index it is given', () => {
    const flipped = (s: Scores): Scores => ({ ...s, logits: s.logits.map(([a, b]) => [b, a]) });
    const runs: ScoredRun[] = [
      { method: 'defakeq', budget: 4, scores: flipped(perfect) },
      { method: 'adaround', budget: 4, scores: flipped(twoSwaps) },
    ];
    expect(versusAdaRound(runs, batches, 0)[0]!.difference).toBeCloseTo(perfect.auc - twoSwaps.auc, 12);
  });
});
