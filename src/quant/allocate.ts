import { affineStoredBits, averageBits, totalParams, type LayerStorage, type StorageOptions } from './budget.ts';
import { paperErrorModel, type ErrorModel } from './error-models.ts';

/**
 * Bit allocation (paper eq. 5): choose b_l in B minimising sum_l w_l E_l(b_l) subject to
 * "average stored bits per weight <= B_avg", where w_l = S_l (or 1 for a measured error model
 * that says so) and the average counts scales, zero points, restored channels and biases
 * (budget.ts). Two solvers: an exact multiple-choice knapsack and the paper's relaxation (eq. 6).
 */

export const DEFAULT_CANDIDATES: readonly number[] = [2, 3, 4, 6, 8];

export interface AllocationProblem {
  layers: readonly LayerStorage[];
  /** Importance S_l of every layer (eq. 4). */
  scores: readonly number[];
  /** B_avg: the allowed average of stored bits per weight. */
  budget: number;
  candidates?: readonly number[];
  /** Default: the paper's 2^-b. */
  error?: ErrorModel;
  storage?: StorageOptions;
}

export interface Allocation {
  bits: number[];
  /** sum_l w_l E_l(b_l) at the chosen widths. */
  objective: number;
  /** Stored bits per weight actually achieved (always <= budget). */
  averageBits: number;
  solver: 'exact' | 'relaxed';
  error: string;
  /** How exact the result is, or where the relaxation landed, in words for the report. */
  detail: string;
  /** Relaxed solver only: the continuous widths b^_l before projection onto the candidates. */
  relaxedBits?: number[];
}

/** The problem in tabular form: cost[l][c] stored bits and value[l][c] objective term. */
interface Table {
  candidates: number[];
  cost: number[][];
  value: number[][];
  perBit: number[];
  fixed: number[];
  params: number;
  /** Largest total of stored bits that meets the budget. */
  capacity: number;
}

function buildTable(problem: AllocationProblem): Table {
  const { layers, scores, budget } = problem;
  const model = problem.error ?? paperErrorModel();
  if (layers.length === 0) throw new RangeError('allocate: no layers to allocate bits to');
  if (scores.length !== layers.length) throw new RangeError(`allocate: ${scores.length} importance scores for ${layers.length} layers`);
  scores.forEach((s, l) => {
    if (!Number.isFinite(s) || s < 0) throw new RangeError(`allocate: layer ${l} importance must be a finite non-negative number, got ${s}`);
  });
  if (!Number.isFinite(budget) || budget <= 0) throw new RangeError(`allocate: budget must be a positive number of bits per weight, got ${budget}`);
  const candidates = [...new Set(problem.candidates ?? DEFAULT_CANDIDATES)].sort((a, b) => a - b);
  if (candidates.length === 0) throw new RangeError('allocate: the candidate bit set is empty');
  for (const b of candidates) {
    if (!Number.isInteger(b) || b < 1 || b > 16) throw new RangeError(`allocate: candidate bit width must be an integer 1..16, got ${b}`);
  }
  const params = totalParams(layers);
  const affine = layers.map((layer, l) => affineStoredBits(layer, problem.storage, l));
  const cost = affine.map(({ perBit, fixed }) => candidates.map((b) => perBit * b + fixed));
  const value = layers.map((_, l) => {
    const w = model.weightByScore ? scores[l] : 1;
    return candidates.map((b) => {
      const e = model.error(l, b);
      if (!Number.isFinite(e) || e < 0) throw new RangeError(`allocate: error model '${model.name}' gave ${e} for layer ${l} at ${b} bits`);
      return w * e;
    });
  });
  // Stored bits are integers; the tolerance keeps B_avg * P from rounding an exact fit away.
  const capacity = Math.floor(budget * params * (1 + 1e-12));
  const minimum = cost.reduce((sum, row) => sum + row[0], 0);
  if (minimum > capacity) {
    throw new RangeError(
      `allocate: a budget of ${budget} bits per weight is infeasible: the minimum achievable average is ` +
        `${(minimum / params).toFixed(4)} stored bits per weight (every layer at ${candidates[0]} bits, counting scales, zero points, restored channels and biases)`,
    );
  }
  return { candidates, cost, value, perBit: affine.map((a) => a.perBit), fixed: affine.map((a) => a.fixed), params, capacity };
}

function finish(problem: AllocationProblem, table: Table, choice: number[], solver: Allocation['solver'], detail: string): Allocation {
  const bits = choice.map((c) => table.candidates[c]);
  const objective = choice.reduce((sum, c, l) => sum + table.value[l][c], 0);
  const stored = choice.reduce((sum, c, l) => sum + table.cost[l][c], 0);
  if (stored > table.capacity) throw new Error(`allocate (${solver}): internal error, allocation exceeds the budget`);
  return {
    bits,
    objective,
    averageBits: averageBits(problem.layers, bits, problem.storage),
    solver,
    error: (problem.error ?? paperErrorModel()).name,
    detail,
  };
}

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

export interface RelaxedOptions {
  /** Penalty coefficient of eq. 6 (paper: 1). */
  lambda?: number;
  /** Most projected-gradient steps (default 20000). */
  iterations?: number;
}

/**
 * The paper's method (eq. 6): relax b_l to a real number in [min B, max B] and minimise
 *   L_hor = sum_l w_l E_l(b^_l) + lambda * max(0, avg(b^) - B_avg)^2
 * by projected gradient descent (backtracking step, so it is scale-free and deterministic). The
 * average is the stored-bit average (affine in b^), not only sum b p / sum p, so the penalty sees
 * the same budget as the constraint. Then each b^_l goes to the nearest candidate and, while the
 * budget is exceeded, the layer whose next-lower width costs the least objective per stored bit
 * saved is lowered (the repair).
 */
export function allocateRelaxed(problem: AllocationProblem, options: RelaxedOptions = {}): Allocation {
  const lambda = options.lambda ?? 1;
  const iterations = options.iterations ?? 20000;
  if (!Number.isFinite(lambda) || lambda < 0) throw new RangeError(`allocate: lambda must be a non-negative number, got ${lambda}`);
  if (!Number.isInteger(iterations) || iterations < 0) throw new RangeError(`allocate: iterations must be a non-negative integer, got ${iterations}`);
  const table = buildTable(problem);
  const model = problem.error ?? paperErrorModel();
  const { candidates, perBit, fixed, params } = table;
  const layers = perBit.length;
  const lo = candidates[0];
  const hi = candidates[candidates.length - 1];
  const weightOf = (l: number) => (model.weightByScore ? problem.scores[l] : 1);
  const clampBits = (b: number) => Math.min(hi, Math.max(lo, b));

  const fixedTotal = fixed.reduce((a, b) => a + b, 0);
  const perBitTotal = perBit.reduce((a, b) => a + b, 0);
  const excess = (b: Float64Array) => {
    let stored = fixedTotal;
    for (let l = 0; l < layers; l++) stored += perBit[l] * b[l];
    return Math.max(0, stored / params - problem.budget);
  };
  const loss = (b: Float64Array) => {
    let sum = 0;
    for (let l = 0; l < layers; l++) sum += weightOf(l) * model.continuous(l, b[l]).value;
    const over = excess(b);
    return sum + lambda * over * over;
  };
  const gradient = (b: Float64Array) => {
    const over = excess(b);
    const g = new Float64Array(layers);
    for (let l = 0; l < layers; l++) g[l] = weightOf(l) * model.continuous(l, b[l]).slope + (2 * lambda * over * perBit[l]) / params;
    return g;
  };

  // Start from the uniform width that spends the budget exactly.
  let b: Float64Array = new Float64Array(layers).fill(clampBits((problem.budget * params - fixedTotal) / perBitTotal));
  let current = loss(b);
  let step = 1;
  let used = 0;
  for (; used < iterations; used++) {
    const g = gradient(b);
    let next: Float64Array;
    let nextLoss: number;
    let moved: number;
    for (;;) {
      next = b.map((v, l) => clampBits(v - step * g[l]));
      let linear = 0;
      let squared = 0;
      moved = 0;
      for (let l = 0; l < layers; l++) {
        const d = next[l] - b[l];
        linear += g[l] * d;
        squared += d * d;
        moved = Math.max(moved, Math.abs(d));
      }
      nextLoss = loss(next);
      if (nextLoss <= current + linear + squared / (2 * step) || moved === 0) break;
      step /= 2;
    }
    b = next;
    current = nextLoss;
    if (moved < 1e-10) break;
    step *= 2;
  }

  const choice = Array.from(b, (v) => {
    let k = 0;
    for (let i = 1; i < candidates.length; i++) if (Math.abs(candidates[i] - v) < Math.abs(candidates[k] - v)) k = i;
    return k;
  });
  repair(table, choice);
  const relaxedAverage = (fixedTotal + b.reduce((sum, v, l) => sum + perBit[l] * v, 0)) / params;
  const detail = `relaxed optimum after ${used} steps averages ${relaxedAverage.toFixed(4)} stored bits per weight before projection and repair`;
  return { ...finish(problem, table, choice, 'relaxed', detail), relaxedBits: Array.from(b) };
}

/** Lowers widths, cheapest objective increase per stored bit saved first, until the budget holds. */
function repair(table: Table, choice: number[]): void {
  let stored = choice.reduce((sum, c, l) => sum + table.cost[l][c], 0);
  while (stored > table.capacity) {
    let bestRate = Infinity;
    let bestLayer = -1;
    choice.forEach((k, l) => {
      if (k === 0) return;
      const saved = table.cost[l][k] - table.cost[l][k - 1];
      const rate = (table.value[l][k - 1] - table.value[l][k]) / saved;
      if (rate < bestRate) {
        bestRate = rate;
        bestLayer = l;
      }
    });
    // buildTable guarantees every layer at its lowest width fits, so a layer can always be lowered.
    stored -= table.cost[bestLayer][choice[bestLayer]] - table.cost[bestLayer][choice[bestLayer] - 1];
    choice[bestLayer]--;
  }
}

export type SolverName = 'exact' | 'relaxed';

export function allocateBits(problem: AllocationProblem, solver: SolverName = 'exact'): Allocation {
  if (solver === 'exact') return allocateExact(problem);
  if (solver === 'relaxed') return allocateRelaxed(problem);
  throw new RangeError(`allocate: unknown solver '${String(solver)}' (expected exact or relaxed)`);
}
