/** Stage 'evaluate': per-layer SQNR, and the FP and quantized models' scores on the labelled set. */
import { GpuModel } from '../../../engine/session.ts';
import { DEFAULT_FAKE_INDEX } from '../../../model/labels.ts';
import { agreement, layerSqnr, pairedAucChange, score, type LabelledBatch, type Scores } from '../../evaluation/evaluate.ts';
import { simulatedModel } from '../../simulation/simulate.ts';
import { takeImages } from '../../calibration/sample-images.ts';
import { defineStage, type StageIo } from '../stage.ts';
import { OPS, type RunState } from '../state.ts';

const steps = (state: RunState) => (state.inputs.evaluation?.length ?? 0) * 2 + 1;

export const evaluate = defineStage({
  name: 'evaluate',
  needed: () => true,
  steps,
  async run(state, io) {
    const { inputs, results, cache } = state;
    const total = steps(state);
    const q = new GpuModel(io.ctx, simulatedModel(state.model, state.layers, state.plan), OPS);
    try {
      // Within the stage budget, the SQNR may run on fewer images than the first batch holds.
      const first = inputs.calibration[0];
      const sqnrImages = state.budget.sqnrImages;
      const sqnr = await layerSqnr(state.fp, q, state.layers, sqnrImages < first.count ? takeImages([first], sqnrImages) : first);
      results.forEach((r) => (r.sqnr = sqnr.get(r.name) ?? null));
      io.step(1, total);
      if (inputs.evaluation?.length) {
        const a = cache.fpScores ?? (await baselineScores(state, io, inputs.evaluation));
        cache.fpScores = a;
        io.step(1 + inputs.evaluation.length, total);
        const b = await score(q, inputs.evaluation, inputs.fakeIndex, io.signal);
        state.quantizedScores = b;
        const strip = ({ logits: _l, ...rest }: Scores) => rest;
        state.evaluation = {
          fp: strip(a), quantized: strip(b), agreement: agreement(a.logits, b.logits), aucChange: pairedAucChange(b, a, inputs.evaluation, inputs.fakeIndex),
          fakeIndex: inputs.fakeIndex ?? DEFAULT_FAKE_INDEX,
        };
      }
      io.step(total, total);
    } finally {
      q.dispose();
    }
  },
});

/** The FP baseline's scores: the input model's (the same function as a reparameterised one), never the rounded one's. */
async function baselineScores(state: RunState, io: StageIo, evaluation: LabelledBatch[]): Promise<Scores> {
  if (state.settings.floatParams !== 'fp16') return score(state.fp, evaluation, state.inputs.fakeIndex, io.signal);
  const baseline = new GpuModel(io.ctx, state.original, OPS);
  try {
    return await score(baseline, evaluation, state.inputs.fakeIndex, io.signal);
  } finally {
    baseline.dispose();
  }
}
