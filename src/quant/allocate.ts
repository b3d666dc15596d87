import { affineStoredBits, averageBits, totalParams, type LayerStorage, type StorageOptions } from '../storage/stored-bits.ts';
import { paperErrorModel, type ErrorModel } from './error-models.ts';

/**
 * Bit allocation (paper eq. 5): choose b_l in B minimising sum_l w_l E_l(b_l) subject to
 * "average stored bits per weight <= B_avg", where w_l = S_l (or 1 for a measured error model
 * that says so) and the average counts scales, zero points, restored channels and biases
 * (storage/stored-bits.ts). Two solvers: an exact multiple-choice knapsack and the paper's relaxation (eq. 6).
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
  /**
   * Stored bits of layer l at width b, replacing the affine accounting of storage/stored-bits.ts (e.g. the
   * bytes an export writes, containers included). Must be a non-negative integer.
   */
  cost?: (layer: number, bits: number) => number;
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
  let affine = layers.map((layer, l) => affineStoredBits(layer, problem.storage, l));
  let cost = affine.map(({ perBit, fixed }) => candidates.map((b) => perBit * b + fixed));
  if (problem.cost) {
    cost = layers.map((_, l) => candidates.map((b) => {
      const c = problem.cost!(l, b);
      if (!Number.isInteger(c) || c < 0) throw new RangeError(`allocate: the cost of layer ${l} at ${b} bits must be a non-negative integer of stored bits, got ${c}`);
      return c;
    }));
    // The relaxation (eq. 6) needs an affine cost: the line through the lowest and highest candidate.
    const lo = candidates[0];
    const hi = candidates[candidates.length - 1];
    affine = cost.map((row) => {
      const perBit = hi > lo ? (row[row.length - 1] - row[0]) / (hi - lo) : row[0] / lo;
      return { perBit, fixed: row[0] - perBit * lo };
    });
  }
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
        `${(minimum / params).toFixed(4)} stored bits per weight (every layer at ${candidates[0]} bits, counting scales, zero points, restored channels and biases${problem.cost ? ', as stored' : ''})`,
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
    averageBits: problem.cost ? stored / table.params : averageBits(problem.layers, bits, problem.storage),
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
  /** Penalty coefficient of eq. 6 to start from (paper: 1); it grows until the relaxed point fits. */
  lambda?: number;
  /** Most projected-gradient steps per penalty level (default 5000). */
  iterations?: number;
  /** Largest overshoot of the relaxed average, in stored bits per weight, that ends the continuation (default 1e-3). */
  tolerance?: number;
}

/**
 * The paper's method (eq. 6): relax b_l to a real number in [min B, max B] and minimise
 *   L_hor = sum_l w_l E_l(b^_l) + lambda * max(0, avg(b^) - B_avg)^2
 * by projected gradient descent (backtracking step, deterministic). The average is the stored-bit
 * average (affine in b^), so the penalty sees the same budget as the constraint.
 *
 * Two things make it land well whatever the scale of S_l:
 * - The first term is divided by its value at the uniform start, so lambda means the same for
 *   importances of 1e-6 or 1e6 (the minimiser of eq. 6 scaled this way is unchanged by any factor on S_l).
 * - lambda = 1 alone lets the relaxed point overshoot the budget by an amount set by that scale,
 *   so it is raised tenfold (a penalty continuation, warm-started) until the overshoot is under
 *   `tolerance`: the relaxed point then solves the constrained relaxation.
 * Each b^_l then goes to its nearest candidate; while over budget, the width whose lowering costs
 * least objective per stored bit saved is lowered (repair); leftover budget buys the upgrade with
 * the best objective gain per stored bit, while one fits (fill); last, pairs of one upgrade and one
 * downgrade that lower the objective and fit are applied (exchange), best first.
 */
export function allocateRelaxed(problem: AllocationProblem, options: RelaxedOptions = {}): Allocation {
  const lambda0 = options.lambda ?? 1;
  const iterations = options.iterations ?? 5000;
  const tolerance = options.tolerance ?? 1e-3;
  if (!Number.isFinite(lambda0) || lambda0 <= 0) throw new RangeError(`allocate: lambda must be a positive number, got ${lambda0}`);
  if (!Number.isInteger(iterations) || iterations < 0) throw new RangeError(`allocate: iterations must be a non-negative integer, got ${iterations}`);
  if (!Number.isFinite(tolerance) || tolerance <= 0) throw new RangeError(`allocate: tolerance must be a positive number, got ${tolerance}`);
  const table = buildTable(problem);
  const model = problem.error ?? paperErrorModel();
  const { candidates, perBit, fixed, params } = table;
  const layers = perBit.length;
  const lo = candidates[0];
  const hi = candidates[candidates.length - 1];
  const clampBits = (b: number) => Math.min(hi, Math.max(lo, b));

  const fixedTotal = fixed.reduce((a, b) => a + b, 0);
  const perBitTotal = perBit.reduce((a, b) => a + b, 0);
  // Start from the uniform width that spends the budget exactly.
  const start = new Float64Array(layers).fill(clampBits((problem.budget * params - fixedTotal) / perBitTotal));
  const raw = (l: number) => (model.weightByScore ? problem.scores[l] : 1);
  const startObjective = Array.from(start).reduce((sum, b, l) => sum + raw(l) * model.continuous(l, b).value, 0);
  const scale = startObjective > 0 && Number.isFinite(startObjective) ? 1 / startObjective : 1;
  const weight = Array.from({ length: layers }, (_, l) => raw(l) * scale);

  const average = (b: Float64Array) => {
    let stored = fixedTotal;
    for (let l = 0; l < layers; l++) stored += perBit[l] * b[l];
    return stored / params;
  };
  let b: Float64Array = start;
  let lambda = lambda0;
  let used = 0;
  let levels = 0;
  for (;;) {
    used += descend(lambda);
    levels++;
    if (average(b) - problem.budget <= tolerance || lambda >= 1e12) break;
    lambda *= 10;
  }

  function descend(lam: number): number {
    const loss = (x: Float64Array) => {
      let sum = 0;
      for (let l = 0; l < layers; l++) sum += weight[l] * model.continuous(l, x[l]).value;
      const over = Math.max(0, average(x) - problem.budget);
      return sum + lam * over * over;
    };
    const gradient = (x: Float64Array) => {
      const over = Math.max(0, average(x) - problem.budget);
      const g = new Float64Array(layers);
      for (let l = 0; l < layers; l++) g[l] = weight[l] * model.continuous(l, x[l]).slope + (2 * lam * over * perBit[l]) / params;
      return g;
    };
    let current = loss(b);
    let step = 1;
    let steps = 0;
    for (; steps < iterations; steps++) {
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
    return steps;
  }

  // Two projections onto the candidates, each made feasible and improved the same way; the better is kept.
  // Nearest: each b^_l to its nearest candidate. Multiplier: at the relaxed optimum the penalty's
  // slope mu = 2 lambda (avg(b^) - B_avg) prices a stored bit, and each layer takes the candidate
  // least in w_l E_l(b) + mu bits_l(b) / P, which is where b^ points on the candidates' own grid.
  const mu = (2 * lambda * Math.max(0, average(b) - problem.budget)) / params;
  const nearest = Array.from(b, (v) => {
    let k = 0;
    for (let i = 1; i < candidates.length; i++) if (Math.abs(candidates[i] - v) < Math.abs(candidates[k] - v)) k = i;
    return k;
  });
  const pricedAt = (m: number) => table.value.map((row, l) => {
    let k = 0;
    const price = (i: number) => row[i] * scale + m * table.cost[l][i];
    for (let i = 1; i < candidates.length; i++) if (price(i) < price(k)) k = i;
    return k;
  });
  // The penalty's mu is approximate (the overshoot is only within tolerance): refine it by bisection
  // in log space to the least price whose choice fits, starting from the bracket around it.
  let fits = Math.max(mu, 1e-300);
  while (storedOf(table, pricedAt(fits)) > table.capacity && fits < 1e300) fits *= 4;
  let over = fits;
  while (storedOf(table, pricedAt(over)) <= table.capacity && over > 1e-300) over /= 4;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(fits * over);
    if (storedOf(table, pricedAt(mid)) <= table.capacity) fits = mid;
    else over = mid;
  }
  const priced = pricedAt(fits);
  const improved = [nearest, priced].map((choice) => {
    const moves = { repair: repair(table, choice), fill: fill(table, choice), exchange: exchange(table, choice) };
    return { choice, moves, objective: choice.reduce((sum, c, l) => sum + table.value[l][c], 0) };
  });
  const pick = improved[1].objective < improved[0].objective ? 1 : 0;
  const { choice, moves } = improved[pick];
  const detail =
    `relaxed optimum (lambda ${lambda.toExponential(0)} after ${levels} penalty level${levels === 1 ? '' : 's'}, ${used} steps) averages ` +
    `${average(b).toFixed(4)} stored bits per weight; projected by ${pick ? 'its multiplier' : 'nearest candidate'}, ` +
    `then ${moves.repair} repair, ${moves.fill} fill and ${moves.exchange} exchange moves`;
  return { ...finish(problem, table, choice, 'relaxed', detail), relaxedBits: Array.from(b) };
}

const storedOf = (table: Table, choice: readonly number[]) => choice.reduce((sum, c, l) => sum + table.cost[l][c], 0);

/**
 * Lowers widths, cheapest objective increase per stored bit saved first, until the budget holds.
 * A step may skip candidates that save nothing (a 3-bit layer stored in a 4-bit container).
 * Returns the moves made.
 */
function repair(table: Table, choice: number[]): number {
  let stored = storedOf(table, choice);
  let moves = 0;
  while (stored > table.capacity) {
    let bestRate = Infinity;
    let bestLayer = -1;
    let bestChoice = -1;
    choice.forEach((k, l) => {
      for (let lower = k - 1; lower >= 0; lower--) {
        const saved = table.cost[l][k] - table.cost[l][lower];
        if (saved <= 0) continue;
        const rate = (table.value[l][lower] - table.value[l][k]) / saved;
        if (bestLayer < 0 || rate < bestRate) {
          bestRate = rate;
          bestLayer = l;
          bestChoice = lower;
        }
      }
    });
    // buildTable guarantees every layer at its lowest width fits, so some layer can always be lowered.
    stored -= table.cost[bestLayer][choice[bestLayer]] - table.cost[bestLayer][bestChoice];
    choice[bestLayer] = bestChoice;
    moves++;
  }
  return moves;
}

/** Spends leftover budget: the upgrade with the most objective gain per extra stored bit that fits, repeatedly. */
function fill(table: Table, choice: number[]): number {
  let stored = storedOf(table, choice);
  let moves = 0;
  for (;;) {
    let bestRate = 0;
    let bestLayer = -1;
    let bestChoice = -1;
    choice.forEach((current, l) => {
      for (let k = current + 1; k < table.candidates.length; k++) {
        const extra = table.cost[l][k] - table.cost[l][current];
        const gain = table.value[l][current] - table.value[l][k];
        if (gain <= 0 || stored + extra > table.capacity) continue;
        const rate = extra > 0 ? gain / extra : Infinity;
        if (rate > bestRate) {
          bestRate = rate;
          bestLayer = l;
          bestChoice = k;
        }
      }
    });
    if (bestLayer < 0) return moves;
    stored += table.cost[bestLayer][bestChoice] - table.cost[bestLayer][choice[bestLayer]];
    choice[bestLayer] = bestChoice;
    moves++;
  }
}

/**
 * Local search over single changes and pairs of changes (one layer up, another down) that meet
 * the budget and lower the objective, the largest decrease first. Stops when none is left.
 */
function exchange(table: Table, choice: number[], maxMoves = 10000): number {
  const L = choice.length;
  const C = table.candidates.length;
  let stored = storedOf(table, choice);
  let moves = 0;
  while (moves < maxMoves) {
    let bestGain = 1e-15 * Math.abs(choice.reduce((s, c, l) => s + table.value[l][c], 0));
    let best: [number, number, number, number] | null = null;
    for (let a = 0; a < L; a++) {
      for (let ka = 0; ka < C; ka++) {
        if (ka === choice[a]) continue;
        const dCostA = table.cost[a][ka] - table.cost[a][choice[a]];
        const gainA = table.value[a][choice[a]] - table.value[a][ka];
        if (stored + dCostA <= table.capacity && gainA > bestGain) {
          bestGain = gainA;
          best = [a, ka, -1, -1];
        }
        for (let m = a + 1; m < L; m++) {
          for (let km = 0; km < C; km++) {
            if (km === choice[m]) continue;
            const dCost = dCostA + table.cost[m][km] - table.cost[m][choice[m]];
            if (stored + dCost > table.capacity) continue;
            const gain = gainA + table.value[m][choice[m]] - table.value[m][km];
            if (gain > bestGain) {
              bestGain = gain;
              best = [a, ka, m, km];
            }
          }
        }
      }
    }
    if (!best) return moves;
    const [a, ka, m, km] = best;
    stored += table.cost[a][ka] - table.cost[a][choice[a]];
    choice[a] = ka;
    if (m >= 0) {
      stored += table.cost[m][km] - table.cost[m][choice[m]];
      choice[m] = km;
    }
    moves++;
  }
  return moves;
}

export type SolverName = 'exact' | 'relaxed';

export function allocateBits(problem: AllocationProblem, solver: SolverName = 'exact'): Allocation {
  if (solver === 'exact') return allocateExact(problem);
  if (solver === 'relaxed') return allocateRelaxed(problem);
  throw new RangeError(`allocate: unknown solver '${String(solver)}' (expected exact or relaxed)`);
}
