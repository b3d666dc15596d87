import type { AucDifference } from '../data/metrics.ts';
import { pairedAucChange, type LabelledBatch, type Scores } from '../quant/evaluation/evaluate.ts';
import type { Method } from '../quant/settings.ts';

/** A finished run of a sweep with its scores on the evaluation set. */
export interface ScoredRun {
  method: Method;
  budget: number;
  scores: Scores;
}

/**
 * Each run's AUC minus uniform AdaRound's at the same budget, paired on the same images: the
 * comparison a mixed-precision method is judged by. Null for AdaRound's own runs and where
 * AdaRound has no run at that budget (it failed, or the sweep stopped first).
 */
export function versusAdaRound(runs: readonly ScoredRun[], batches: readonly LabelledBatch[], fakeIndex = 1): (AucDifference | null)[] {
  return runs.map((run) => {
    if (run.method === 'adaround') return null;
    const adaround = runs.find((r) => r.method === 'adaround' && r.budget === run.budget);
    return adaround ? pairedAucChange(run.scores, adaround.scores, batches, fakeIndex) : null;
  });
}
