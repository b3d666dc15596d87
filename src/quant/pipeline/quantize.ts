/** The quantization pipeline's entry: a run state, the stage list run in order, the result. */
import type { GpuContext } from '../../gpu/device.ts';
import type { Model } from '../../onnx/ir.ts';
import type { QuantizeResult } from '../report.ts';
import type { QuantizeSettings } from '../settings.ts';
import { quantizableLayers } from '../layers.ts';
import { resultOf } from './result.ts';
import { budgeted } from './stage-costs.ts';
import { runStages } from './runner.ts';
import { PIPELINE } from './stages/index.ts';
import { createRunState } from './state.ts';
import type { QuantizeHooks, QuantizeInputs } from './types.ts';

/**
 * A run that failed (a device lost, an engine error) after finishing some stages. `partial` holds
 * what finished, as a cancelled run would: its report carries `failed`, and its model is usable.
 */
export class QuantizeFailure extends Error {
  override name = 'QuantizeFailure';
  constructor(cause: unknown, readonly partial: QuantizeResult) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/**
 * The quantization pipeline, the stages of STAGES in order: (reparameterize, when asked) →
 * calibrate → score → allocate → reconstruct (not for RTN) → evaluate. Every stage
 * reports progress and can be cancelled; a cancelled run returns what it finished, and its
 * simulated model is always usable (layers not reconstructed keep nearest rounding).
 */
export async function quantizeModel(ctx: GpuContext, model: Model, inputs: QuantizeInputs, settings: QuantizeSettings, hooks: QuantizeHooks = {}): Promise<QuantizeResult> {
  // Priced first: a stage over the budget runs with scaled settings, which the run then uses throughout.
  const priced = budgeted(model, quantizableLayers(model), settings, {
    calibration: inputs.calibration.reduce((s, b) => s + b.count, 0), evaluation: (inputs.evaluation ?? []).reduce((s, b) => s + b.count, 0), sqnr: inputs.calibration[0]?.count ?? 0,
  });
  const state = createRunState(ctx, model, inputs, priced.settings, priced.report);
  let outcome;
  try {
    outcome = await runStages(PIPELINE, state, { ctx, reconstruct: hooks.reconstruct }, hooks);
  } finally {
    state.fp.dispose();
  }
  // Stopped before any width was chosen: the usable state is the FP model itself.
  if (state.bits.length === 0) state.bits = state.layers.map(() => 32);
  const result = resultOf(state, outcome);
  if (outcome.failure) throw new QuantizeFailure(outcome.failure.cause, result);
  return result;
}
