/**
 * VEFT's measured activations, in the allocate stage (docs/veft.md, "Which activations"). Float
 * columns are paid for in bytes the allocation takes from the widths, so they must earn them:
 *
 * 1. the allocation without any float columns is the baseline;
 * 2. at its widths, each block activation's channels are restored alone and the joint logit
 *    error measured: an activation whose channels lower it has a benefit;
 * 3. the activations ranked by benefit per stored bit, the first 1, 2, 4, ... and all of them are
 *    each allocated again (their columns priced) and measured jointly at their own widths;
 * 4. the candidate (these, the baseline, or uniform widths without columns) that moves the logits
 *    least is kept.
 */
import { restoredChannelBits } from '../../../storage/cost.ts';
import type { Allocation } from '../../allocation/problem.ts';
import type { RangedErrorTable } from '../../allocation/weight-ranges.ts';
import type { VeftGateReport } from '../../report.ts';
import { chooseRestored, rangesWithout } from '../../veft/channels.ts';
import { countsFor, gateRuns, prefixLengths, rankedByValue, restoredActivations, type ActivationValue } from '../../veft/gate.ts';
import type { StageIo } from '../stage.ts';
import type { RunState } from '../state.ts';
import { jointError, uniformAllocation, type RestoredChoice } from './joint-check.ts';

export interface GatedAllocation {
  allocation: Allocation;
  /** Per layer, the input channels kept in float (zeros when no activation earned them). */
  counts: number[];
  report: VeftGateReport;
}

export async function gatedAllocation(
  state: RunState, io: StageIo, table: RangedErrorTable, full: readonly number[],
  allocateWith: (counts: readonly number[]) => Allocation, progress: { done: number; total: number },
): Promise<GatedAllocation> {
  const { settings, layers, calibration } = state;
  const none = layers.map(() => 0);
  const tensors = restoredActivations(full, layers);
  const fixed = chooseRestored(calibration!, layers, full);
  const ranges = settings.actBits !== null && state.plan.activations
    ? rangesWithout(calibration!, layers, fixed, settings.actBits, settings.actRange, settings.seed)
    : new Map();
  const choiceFor = (restoring: ReadonlySet<string>): RestoredChoice => ({
    channels: new Map([...fixed].filter(([t]) => restoring.has(t))),
    ranges: new Map([...ranges].filter(([t]) => restoring.has(t))),
  });
  let step = progress.done;
  const measured = async (widths: readonly number[], restoring: ReadonlySet<string>) => {
    const error = await jointError(state, io, table, widths, choiceFor(restoring));
    io.step(++step, progress.total);
    return error;
  };

  const base = allocateWith(none);
  const baseError = await measured(base.bits, new Set());
  const values: ActivationValue[] = [];
  for (const tensor of tensors) {
    const benefit = baseError - (await measured(base.bits, new Set([tensor])));
    const cost = layers.reduce((s, l, i) => s + (l.input === tensor ? restoredChannelBits(l, full[i], settings.floatParams) : 0), 0);
    values.push({ tensor, benefit, cost });
  }
  const ranked = rankedByValue(values);

  const candidates: { label: string; restoring: string[]; allocation: Allocation; counts: number[]; error: number }[] = [
    { label: 'no float channels', restoring: [], allocation: base, counts: none, error: baseError },
  ];
  for (const k of prefixLengths(ranked.length)) {
    const restoring = new Set(ranked.slice(0, k));
    const counts = countsFor(full, layers, restoring);
    let allocation: Allocation;
    try {
      allocation = allocateWith(counts);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      break; // more columns fit even less
    }
    candidates.push({ label: `float channels in ${k} of ${tensors.length} activations`, restoring: [...restoring], allocation, counts, error: await measured(allocation.bits, restoring) });
  }
  const uniform = uniformAllocation(state, table, none);
  if (uniform && !uniform.bits.every((b, i) => b === base.bits[i])) {
    const allocation = { ...base, bits: uniform.bits, objective: uniform.objective, averageBits: uniform.averageBits };
    candidates.push({ label: uniform.detail, restoring: [], allocation, counts: none, error: await measured(uniform.bits, new Set()) });
  }
  io.step(progress.done + gateRuns(tensors.length), progress.total);

  const kept = candidates.reduce((best, c, i) => (c.error < candidates[best].error ? i : best), 0);
  const best = candidates[kept];
  const listed = candidates.map((c) => `${c.label} ${c.error.toExponential(2)}`).join(', ');
  const helped = `${ranked.length} of ${tensors.length} block activations' float channels lowered the logit error alone`;
  const detail = `${base.detail}; VEFT's activations measured jointly on the error images (${helped}; the logits move: ${listed}): kept ${best.label}`;
  return {
    allocation: { ...best.allocation, detail },
    counts: best.counts,
    report: {
      activations: values,
      candidates: candidates.map((c) => ({ label: c.label, restoring: c.restoring, averageBits: c.allocation.averageBits, logitError: c.error })),
      kept,
    },
  };
}
