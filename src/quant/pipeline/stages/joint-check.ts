/**
 * The allocate stage's joint checks: allocations compared by how far they move the logits on the
 * error images with every layer quantized at once (activations as planned), since the error
 * table's sum assumes layers' errors add up.
 */
import { layerCostOf } from '../../../storage/cost.ts';
import type { Allocation } from '../../allocation/problem.ts';
import { jointLogitErrors } from '../../allocation/logit-errors.ts';
import { uniformBits } from '../../allocation/uniform.ts';
import { rangeAt, type RangedErrorTable } from '../../allocation/weight-ranges.ts';
import type { QuantParams } from '../../simulation/quantizer.ts';
import { simulatedModel } from '../../simulation/simulate.ts';
import type { StageIo } from '../stage.ts';
import { errorImages, floatLogits, OPS, type RunState } from '../state.ts';

/** Float channels kept per activation, and those activations' ranges without them. */
export interface RestoredChoice {
  channels: ReadonlyMap<string, number[]>;
  ranges: ReadonlyMap<string, QuantParams>;
}

/** How far the logits move (mean squared, centred) at these widths, with these channels restored. */
export async function jointError(state: RunState, io: StageIo, table: RangedErrorTable, widths: readonly number[], restored?: RestoredChoice): Promise<number> {
  const { model, layers, plan, settings } = state;
  const activations = plan.activations && new Map([...plan.activations].map(([t, p]) => [t, restored?.ranges.get(t) ?? p]));
  const simulated = simulatedModel(model, layers, {
    layers: new Map(layers.map((l, i) => [l.name, { bits: widths[i], range: rangeAt(table, i, widths[i]) }])),
    activations,
    ...(restored && restored.channels.size > 0 ? { restored: { channels: new Map(restored.channels), half: settings.floatParams === 'fp16' } } : {}),
  });
  const [error] = await jointLogitErrors(io.ctx, OPS, await floatLogits(state, io.ctx), [simulated], errorImages(state));
  return error;
}

/** The widest uniform width that fits the budget with these restored counts, and its allocation; null if none fits. */
export function uniformAllocation(state: RunState, table: RangedErrorTable, counts: readonly number[]): Allocation | null {
  const { settings, layers, model } = state;
  const cost = layerCostOf(model, layers, settings, counts);
  let width: number;
  try {
    width = uniformBits(layers, settings.candidates, settings.avgBits, cost);
  } catch {
    return null;
  }
  const column = table.candidates.indexOf(width);
  const params = layers.reduce((s, l) => s + l.inFeatures * l.outFeatures, 0);
  return {
    bits: layers.map(() => width),
    objective: table.errors.reduce((s, row) => s + row[column], 0),
    averageBits: layers.reduce((s, _, l) => s + cost(l, width), 0) / params,
    solver: settings.solver, error: settings.error, detail: `uniform ${width} bits`,
  };
}

/**
 * The mixed allocation checked against the widest uniform width at the same budget: the one that
 * moves the logits less is kept; the detail says which and by how much.
 */
export async function checkedAgainstUniform(state: RunState, io: StageIo, mixed: Allocation, table: RangedErrorTable): Promise<Allocation> {
  const uniform = uniformAllocation(state, table, state.restoredCounts);
  if (!uniform) return mixed; // no uniform width fits: nothing to compare with
  const width = uniform.bits[0];
  if (mixed.bits.every((b) => b === width)) return mixed;
  const ours = await jointError(state, io, table, mixed.bits);
  const theirs = await jointError(state, io, table, uniform.bits);
  const measured = `jointly on ${errorImages(state).count} images the logits move ${ours.toExponential(2)} at these widths, ${theirs.toExponential(2)} at uniform ${width} bits`;
  if (ours <= theirs) return { ...mixed, detail: `${mixed.detail}; ${measured}` };
  return { ...mixed, bits: uniform.bits, objective: uniform.objective, averageBits: uniform.averageBits, detail: `${mixed.detail}; ${measured}, so uniform ${width} bits is kept` };
}
