/**
 * VEFT's measured activations, in the allocate stage (docs/veft.md, "Which activations"). Float
 * columns are paid for in bytes the allocation takes from the widths, so they must earn them:
 *
 * 1. two allocations bound the choice: without any float columns (the baseline) and with every
 *    block activation's (the paper's), each measured jointly on the error images;
 * 2. each activation's benefit: how much more the logits move when its channels alone are left
 *    out of the paper's allocation (at its widths). Where outliers wreck the model, one restored
 *    activation alone shows nothing while the others are still wrecked, so the benefit is taken
 *    from the full set; only when every activation's columns do not fit is it measured by
 *    restoring each alone at the baseline's widths;
 * 3. the activations ranked by benefit per stored bit, the first 1, 2, 4, ... of them are each
 *    allocated again (their columns priced) and measured jointly at their own widths;
 * 4. the candidate (these, the two bounds, or uniform widths without columns) that moves the
 *    logits least is kept.
 */
import { restoredChannelBits } from '../../../storage/cost.ts';
import type { Allocation } from '../../allocation/problem.ts';
import type { RangedErrorTable } from '../../allocation/weight-ranges.ts';
import type { VeftGateReport } from '../../report.ts';
import { chooseRestored, rangesWithout } from '../../veft/channels.ts';
import { benefitPhrase, countsFor, gateRuns, prefixLengths, rankedByValue, restoredActivations, type ActivationValue } from '../../veft/gate.ts';
import type { StageIo } from '../stage.ts';
import type { RunState } from '../state.ts';
import { jointError, uniformAllocation, type RestoredChoice } from './joint-check.ts';

export interface GatedAllocation {
  allocation: Allocation;
  /** Per layer, the input channels kept in float (zeros when no activation earned them). */
  counts: number[];
  report: VeftGateReport;
}

interface Candidate { label: string; restoring: string[]; allocation: Allocation; counts: number[]; error: number }

type Measure = (widths: readonly number[], restoring: ReadonlySet<string>) => Promise<number>;

/** The joint logit error at some widths with some activations' fixed sets restored, one progress step each. */
function jointMeasure(state: RunState, io: StageIo, table: RangedErrorTable, full: readonly number[], progress: { done: number; total: number }): Measure {
  const { settings, layers, calibration } = state;
  const fixed = chooseRestored(calibration!, layers, full);
  const ranges = settings.actBits !== null && state.plan.activations
    ? rangesWithout(calibration!, layers, fixed, settings.actBits, settings.actRange, settings.seed)
    : new Map();
  const choiceFor = (restoring: ReadonlySet<string>): RestoredChoice => ({
    channels: new Map([...fixed].filter(([t]) => restoring.has(t))),
    ranges: new Map([...ranges].filter(([t]) => restoring.has(t))),
  });
  let step = progress.done;
  return async (widths, restoring) => {
    const error = await jointError(state, io, table, widths, choiceFor(restoring));
    io.step(++step, progress.total);
    return error;
  };
}

/** The allocation with these counts, or null when their columns cost more than the budget has. */
function fitting(allocateWith: (counts: readonly number[]) => Allocation, counts: readonly number[]): Allocation | null {
  try {
    return allocateWith(counts);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return null;
  }
}

export async function gatedAllocation(
  state: RunState, io: StageIo, table: RangedErrorTable, full: readonly number[],
  allocateWith: (counts: readonly number[]) => Allocation, progress: { done: number; total: number },
): Promise<GatedAllocation> {
  const { settings, layers } = state;
  const none = layers.map(() => 0);
  const tensors = restoredActivations(full, layers);
  const measured = jointMeasure(state, io, table, full, progress);
  const base = allocateWith(none);
  const baseError = await measured(base.bits, new Set());
  const every = fitting(allocateWith, full);
  const everyError = every ? await measured(every.bits, new Set(tensors)) : null;
  const values: ActivationValue[] = [];
  for (const tensor of tensors) {
    const benefit = every
      ? (await measured(every.bits, new Set(tensors.filter((t) => t !== tensor)))) - everyError!
      : baseError - (await measured(base.bits, new Set([tensor])));
    const cost = layers.reduce((s, l, i) => s + (l.input === tensor ? restoredChannelBits(l, full[i], settings.floatParams) : 0), 0);
    values.push({ tensor, benefit, cost });
  }
  const ranked = rankedByValue(values);

  const candidates: Candidate[] = [{ label: 'no float channels', restoring: [], allocation: base, counts: none, error: baseError }];
  for (const k of prefixLengths(ranked.length)) {
    if (every && k === tensors.length) break; // the full set, measured already
    const restoring = new Set(ranked.slice(0, k));
    const counts = countsFor(full, layers, restoring);
    const allocation = fitting(allocateWith, counts);
    if (!allocation) break; // more columns fit even less
    candidates.push({ label: `float channels in ${k} of ${tensors.length} activations`, restoring: [...restoring], allocation, counts, error: await measured(allocation.bits, restoring) });
  }
  if (every) candidates.push({ label: `float channels in every activation (${tensors.length})`, restoring: tensors, allocation: every, counts: [...full], error: everyError! });
  const uniform = uniformAllocation(state, table, none);
  if (uniform && !uniform.bits.every((b, i) => b === base.bits[i])) {
    const allocation = { ...base, bits: uniform.bits, objective: uniform.objective, averageBits: uniform.averageBits };
    candidates.push({ label: uniform.detail, restoring: [], allocation, counts: none, error: await measured(uniform.bits, new Set()) });
  }
  io.step(progress.done + gateRuns(tensors.length), progress.total);
  return decided(candidates, values, every !== null, base.detail);
}

/** The candidate that moves the logits least, with the detail and the report saying why. */
function decided(candidates: readonly Candidate[], values: ActivationValue[], fromEvery: boolean, baseDetail: string): GatedAllocation {
  const kept = candidates.reduce((best, c, i) => (c.error < candidates[best].error ? i : best), 0);
  const best = candidates[kept];
  const listed = candidates.map((c) => `${c.label} ${c.error.toExponential(2)}`).join(', ');
  const benefit = fromEvery ? 'left out of every activation' : 'restored alone';
  return {
    allocation: { ...best.allocation, detail: `${baseDetail}; VEFT's activations measured jointly on the error images (${benefitPhrase(benefit, values)}; the logits move: ${listed}): kept ${best.label}` },
    counts: best.counts,
    report: {
      benefit,
      activations: values,
      candidates: candidates.map((c) => ({ label: c.label, restoring: c.restoring, averageBits: c.allocation.averageBits, logitError: c.error })),
      kept,
    },
  };
}
