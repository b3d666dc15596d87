/**
 * VEFT's measured activations (docs/veft.md, "Which activations"): float columns cost bytes the
 * allocation takes from the widths, so a block activation keeps them only where a measurement says
 * they are worth it. The choices here are pure; the stage measures (pipeline/stages/veft-gate.ts).
 */
import type { QuantLayer } from '../../model/layers.ts';

export interface ActivationValue {
  tensor: string;
  /** How much less the logits move with this activation's channels restored (same widths). */
  benefit: number;
  /** The stored bits its float columns and indices cost, over every layer reading it. */
  cost: number;
}

/** How many activations' channels helped, in words, for the measurement `benefit` names (VeftGateReport['benefit']). */
export function benefitPhrase(benefit: 'left out of every activation' | 'restored alone', values: readonly ActivationValue[]): string {
  const n = `${values.filter((v) => v.benefit > 0).length} of ${values.length}`;
  return benefit === 'restored alone'
    ? `${n} block activations' float channels lowered the logit error alone`
    : `leaving out ${n} block activations' float channels one at a time raised the logit error`;
}

/** The activations whose channels helped, most benefit per stored bit first (ties: graph order). */
export function rankedByValue(values: readonly ActivationValue[]): string[] {
  return values
    .map((v, order) => ({ ...v, order }))
    .filter((v) => v.benefit > 0)
    .sort((a, b) => b.benefit / Math.max(b.cost, 1) - a.benefit / Math.max(a.cost, 1) || a.order - b.order)
    .map((v) => v.tensor);
}

/** How many of the ranked activations each candidate restores: 1, 2, 4, ... and all of them. */
export function prefixLengths(n: number): number[] {
  const out: number[] = [];
  for (let k = 1; k < n; k *= 2) out.push(k);
  if (n > 0) out.push(n);
  return out;
}

/**
 * Whole-model runs of the error images the gate makes for `activations` block activations (at
 * most): the allocations without columns and with every activation's, each activation's benefit,
 * each ranked prefix and uniform widths.
 */
export const gateRuns = (activations: number) => 2 + activations + prefixLengths(activations).length + 1;

/** Per layer: its count in `full` where it reads one of `tensors`, else 0. */
export function countsFor(full: readonly number[], layers: readonly QuantLayer[], tensors: ReadonlySet<string>): number[] {
  return layers.map((l, i) => (tensors.has(l.input) ? full[i] : 0));
}

/** The distinct activations, in graph order, that `counts` restores channels of. */
export function restoredActivations(counts: readonly number[], layers: readonly QuantLayer[]): string[] {
  return [...new Set(layers.filter((_, i) => counts[i] > 0).map((l) => l.input))];
}
