/** A run's result from its final state: sizes, the report, and the simulated model. */
import { layerCostOf } from '../../storage/cost.ts';
import type { Allocation } from '../allocation/problem.ts';
import type { HalfFloats } from '../simulation/half-floats.ts';
import type { QuantizeReport, QuantizeResult } from '../report.ts';
import { simulatedModel } from '../simulation/simulate.ts';
import type { RunOutcome } from './runner.ts';
import type { RunState } from './state.ts';

/** Stored bits of every quantized layer (32 bits a value for a layer left in float) and the model's bytes. */
function sizes(state: RunState): { avgBits: number; modelBytes: number; fpBytes: number } {
  const { layers, bits, structure, halfFloats } = state;
  const restored = layers.map((l) => state.plan.restored?.channels.get(l.input)?.length ?? 0);
  const cost = layerCostOf(state.model, layers, state.settings, restored);
  const storedBits = layers.reduce((s, l, i) => s + (bits[i] >= 32 ? l.params * 32 : cost(i, bits[i])), 0);
  const quantizedParams = layers.reduce((s, l) => s + l.params, 0);
  const layerBiases = new Set(layers.map((l) => l.bias));
  const halvedOther = halfFloats?.rounded.filter((t) => !layerBiases.has(t.name)).reduce((s, t) => s + t.count, 0) ?? 0;
  return {
    avgBits: storedBits / layers.reduce((s, l) => s + l.inFeatures * l.outFeatures, 0),
    modelBytes: storedBits / 8 + (structure.totalParams - quantizedParams) * 4 - halvedOther * 2,
    fpBytes: structure.totalParams * 4,
  };
}

export function resultOf(state: RunState, outcome: RunOutcome): QuantizeResult {
  const { settings, plan, model, bits, failure } = { ...state, failure: outcome.failure };
  const simulated = bits.every((b) => b >= 32) ? model : simulatedModel(model, state.layers, plan);
  return {
    plan,
    simulated,
    model,
    ...(state.quantizedScores && { scores: state.quantizedScores }),
    report: {
      settings,
      ...sizes(state),
      layers: state.results,
      allocation: summaryOf(state.allocation),
      timings: outcome.timings,
      completed: outcome.completed,
      cancelled: outcome.cancelled,
      ...(failure ? { failed: { stage: failure.stage, message: failure.cause instanceof Error ? failure.cause.message : String(failure.cause) } } : {}),
      evaluation: state.evaluation,
      reparameterized: state.reparameterized,
      ...(state.veft ? { veft: state.veft } : {}),
      ...(state.veftGate ? { veftGate: state.veftGate } : {}),
      ...(state.halfFloats ? { halfFloats: halfSummary(state.halfFloats) } : {}),
      budget: state.budget,
    },
  };
}

function halfSummary(h: HalfFloats): NonNullable<QuantizeReport['halfFloats']> {
  return { tensors: h.rounded.length, values: h.rounded.reduce((s, t) => s + t.count, 0), kept: h.kept };
}

function summaryOf(a: Allocation | null): QuantizeReport['allocation'] {
  return a && { objective: a.objective, averageBits: a.averageBits, solver: a.solver, error: a.error, detail: a.detail };
}
