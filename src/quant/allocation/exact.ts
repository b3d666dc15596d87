import { buildTable, finish, type Allocation, type AllocationProblem, type Table } from './problem.ts';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export interface ExactOptions {
  /** Most budget units the dynamic programme may use (default 65536). */
  resolution?: number;
}

/**
 * Multiple-choice knapsack by dynamic programming over the budget.
 *
 * Each layer's cost is measured as extra stored bits over its cheapest width, in units of u.
 * When u = gcd of all extra costs fits the resolution, the programme is exact. Otherwise u is
 * coarser and every cost is rounded *up* to whole units while the slack is rounded down, so
 * every allocation the programme accepts meets the true budget; and any allocation whose true
 * extra cost is at most slack - L*u is also accepted (sum ceil(e_l/u) <= sum e_l/u + L), so the
 * result is at least as good as the true optimum at a budget L*u/P bits per weight tighter.
 * A final pass spends leftover true budget on single-layer improvements.
 */
export function allocateExact(problem: AllocationProblem, options: ExactOptions = {}): Allocation {
  const resolution = options.resolution ?? 65536;
  if (!Number.isInteger(resolution) || resolution < 1) throw new RangeError(`allocate: resolution must be a positive integer, got ${resolution}`);
  const table = buildTable(problem);
  const { cost, value, candidates } = table;
  const layers = cost.length;
  const base = cost.map((row) => row[0]);
  const slack = table.capacity - base.reduce((a, b) => a + b, 0);
  const extra = cost.map((row, l) => row.map((c) => c - base[l]));
  let g = 0;
  for (const row of extra) for (const e of row) g = gcd(g, e);
  const exact = g === 0 || slack / g <= resolution;
  const unit = g === 0 ? 1 : exact ? g : Math.ceil(slack / resolution);
  const cap = Math.floor(slack / unit);
  const weight = extra.map((row) => row.map((e) => Math.ceil(e / unit)));

  // best[c]: least objective of the layers so far using at most c units.
  let best = new Float64Array(cap + 1);
  const picks: Uint8Array[] = [];
  for (let l = 0; l < layers; l++) {
    const next = new Float64Array(cap + 1).fill(Infinity);
    const pick = new Uint8Array(cap + 1);
    for (let k = 0; k < candidates.length; k++) {
      const w = weight[l][k];
      const v = value[l][k];
      for (let c = w; c <= cap; c++) {
        const total = best[c - w] + v;
        if (total < next[c]) {
          next[c] = total;
          pick[c] = k;
        }
      }
    }
    picks.push(pick);
    best = next;
  }
  const choice = new Array<number>(layers);
  let c = cap;
  for (let l = layers - 1; l >= 0; l--) {
    choice[l] = picks[l][c];
    c -= weight[l][choice[l]];
  }
  if (!exact) spendLeftover(table, choice);
  const detail = exact
    ? `optimal (dynamic programme in exact units of ${g === 0 ? 0 : g} stored bits)`
    : `optimal within discretisation: units of ${unit} stored bits, so at least as good as the optimum at ${(
        (table.capacity - layers * unit) / table.params
      ).toFixed(4)} bits per weight`;
  return finish(problem, table, choice, 'exact', detail);
}

/** Greedy single-layer changes that lower the objective and still meet the true budget. */
function spendLeftover(table: Table, choice: number[]): void {
  let stored = choice.reduce((sum, c, l) => sum + table.cost[l][c], 0);
  for (;;) {
    let bestGain = 0;
    let bestLayer = -1;
    let bestChoice = -1;
    choice.forEach((current, l) => {
      table.candidates.forEach((_, k) => {
        const gain = table.value[l][current] - table.value[l][k];
        if (gain > bestGain && stored - table.cost[l][current] + table.cost[l][k] <= table.capacity) {
          bestGain = gain;
          bestLayer = l;
          bestChoice = k;
        }
      });
    });
    if (bestLayer < 0) return;
    stored += table.cost[bestLayer][bestChoice] - table.cost[bestLayer][choice[bestLayer]];
    choice[bestLayer] = bestChoice;
  }
}
