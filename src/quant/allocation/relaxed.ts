import type { ErrorModel } from './error-models.ts';
import { paperErrorModel } from './error-models.ts';
import { exchange, fill, repair } from './moves.ts';
import { buildTable, finish, storedOf, type Allocation, type AllocationProblem, type Table } from './problem.ts';

export interface RelaxedOptions {
  /** Penalty coefficient of eq. 6 to start from (paper: 1); it grows until the relaxed point fits. */
  lambda?: number;
  /** Most projected-gradient steps per penalty level (default 5000). */
  iterations?: number;
  /** Largest overshoot of the relaxed average, in stored bits per weight, that ends the continuation (default 1e-3). */
  tolerance?: number;
}

/** Eq. 6 over real widths: the scaled objective's weights and the stored-bit average, affine in b^. */
interface Relaxation {
  model: ErrorModel;
  budget: number;
  params: number;
  perBit: readonly number[];
  fixedTotal: number;
  /** w_l divided by the objective at the uniform start. */
  weight: number[];
  /** That division: objective terms times `scale` are the relaxation's. */
  scale: number;
  clampBits(b: number): number;
}

/** The relaxed point and how it was reached. */
interface Relaxed {
  b: Float64Array;
  lambda: number;
  /** Gradient steps over all penalty levels. */
  used: number;
  levels: number;
}

const averageOf = (r: Relaxation, b: Float64Array) => {
  let stored = r.fixedTotal;
  for (let l = 0; l < b.length; l++) stored += r.perBit[l] * b[l];
  return stored / r.params;
};

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
  const { relaxation, start } = relaxationOf(problem, table);
  const relaxed = relax(relaxation, start, lambda0, iterations, tolerance);
  const { b, lambda, used, levels } = relaxed;
  const average = averageOf(relaxation, b);
  // The penalty's slope at the relaxed optimum, mu = 2 lambda (avg(b^) - B_avg), prices a stored bit.
  const mu = (2 * lambda * Math.max(0, average - problem.budget)) / table.params;
  const { choice, moves, pick } = project(table, b, mu, relaxation.scale);
  const detail =
    `relaxed optimum (lambda ${lambda.toExponential(0)} after ${levels} penalty level${levels === 1 ? '' : 's'}, ${used} steps) averages ` +
    `${average.toFixed(4)} stored bits per weight; projected by ${pick ? 'its multiplier' : 'nearest candidate'}, ` +
    `then ${moves.repair} repair, ${moves.fill} fill and ${moves.exchange} exchange moves`;
  return { ...finish(problem, table, choice, 'relaxed', detail), relaxedBits: Array.from(b) };
}

/** The relaxation of the problem, and its start: the uniform width that spends the budget exactly. */
function relaxationOf(problem: AllocationProblem, table: Table): { relaxation: Relaxation; start: Float64Array } {
  const model = problem.error ?? paperErrorModel();
  const { candidates, perBit, fixed, params } = table;
  const lo = candidates[0];
  const hi = candidates[candidates.length - 1];
  const clampBits = (b: number) => Math.min(hi, Math.max(lo, b));
  const fixedTotal = fixed.reduce((a, b) => a + b, 0);
  const perBitTotal = perBit.reduce((a, b) => a + b, 0);
  const start = new Float64Array(perBit.length).fill(clampBits((problem.budget * params - fixedTotal) / perBitTotal));
  const raw = (l: number) => (model.weightByScore ? problem.scores[l] : 1);
  const startObjective = Array.from(start).reduce((sum, b, l) => sum + raw(l) * model.continuous(l, b).value, 0);
  const scale = startObjective > 0 && Number.isFinite(startObjective) ? 1 / startObjective : 1;
  const weight = Array.from({ length: perBit.length }, (_, l) => raw(l) * scale);
  return { relaxation: { model, budget: problem.budget, params, perBit, fixedTotal, weight, scale, clampBits }, start };
}

/** Descends at lambda, then at ten times it, warm-started, until the relaxed average is within tolerance of the budget. */
function relax(r: Relaxation, start: Float64Array, lambda0: number, iterations: number, tolerance: number): Relaxed {
  let b = start;
  let lambda = lambda0;
  let used = 0;
  let levels = 0;
  for (;;) {
    const level = descend(r, b, lambda, iterations);
    b = level.b;
    used += level.steps;
    levels++;
    if (averageOf(r, b) - r.budget <= tolerance || lambda >= 1e12) break;
    lambda *= 10;
  }
  return { b, lambda, used, levels };
}

/** Projected gradient descent on eq. 6 at penalty `lam` from `start`, with a backtracking step. */
function descend(r: Relaxation, start: Float64Array, lam: number, iterations: number): { b: Float64Array; steps: number } {
  const layers = start.length;
  const loss = (x: Float64Array) => {
    let sum = 0;
    for (let l = 0; l < layers; l++) sum += r.weight[l] * r.model.continuous(l, x[l]).value;
    const over = Math.max(0, averageOf(r, x) - r.budget);
    return sum + lam * over * over;
  };
  const gradient = (x: Float64Array) => {
    const over = Math.max(0, averageOf(r, x) - r.budget);
    const g = new Float64Array(layers);
    for (let l = 0; l < layers; l++) g[l] = r.weight[l] * r.model.continuous(l, x[l]).slope + (2 * lam * over * r.perBit[l]) / r.params;
    return g;
  };
  let b = start;
  let current = loss(b);
  let step = 1;
  let steps = 0;
  for (; steps < iterations; steps++) {
    const g = gradient(b);
    let next: Float64Array;
    let nextLoss: number;
    let moved: number;
    for (;;) {
      next = b.map((v, l) => r.clampBits(v - step * g[l]));
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
  return { b, steps };
}

/**
 * Two projections onto the candidates, each made feasible and improved the same way; the better is
 * kept. Nearest: each b^_l to its nearest candidate. Multiplier: with mu pricing a stored bit, each
 * layer takes the candidate least in w_l E_l(b) + mu bits_l(b) / P, which is where b^ points on the
 * candidates' own grid.
 */
function project(table: Table, b: Float64Array, mu: number, scale: number): { choice: number[]; moves: Record<'repair' | 'fill' | 'exchange', number>; pick: number } {
  const { candidates } = table;
  const nearest = Array.from(b, (v) => {
    let k = 0;
    for (let i = 1; i < candidates.length; i++) if (Math.abs(candidates[i] - v) < Math.abs(candidates[k] - v)) k = i;
    return k;
  });
  const priced = pricedAt(table, leastFittingPrice(table, mu, scale), scale);
  const improved = [nearest, priced].map((choice) => {
    const moves = { repair: repair(table, choice), fill: fill(table, choice), exchange: exchange(table, choice) };
    return { choice, moves, objective: choice.reduce((sum, c, l) => sum + table.value[l][c], 0) };
  });
  const pick = improved[1].objective < improved[0].objective ? 1 : 0;
  return { ...improved[pick], pick };
}

/** Each layer's candidate least in its scaled objective term plus `price` per stored bit. */
function pricedAt(table: Table, price: number, scale: number): number[] {
  return table.value.map((row, l) => {
    let k = 0;
    const cost = (i: number) => row[i] * scale + price * table.cost[l][i];
    for (let i = 1; i < table.candidates.length; i++) if (cost(i) < cost(k)) k = i;
    return k;
  });
}

/**
 * The penalty's mu is approximate (the overshoot is only within tolerance): refined by bisection in
 * log space to the least price whose choice fits, starting from the bracket around it.
 */
function leastFittingPrice(table: Table, mu: number, scale: number): number {
  const fitsAt = (m: number) => storedOf(table, pricedAt(table, m, scale)) <= table.capacity;
  let fits = Math.max(mu, 1e-300);
  while (!fitsAt(fits) && fits < 1e300) fits *= 4;
  let over = fits;
  while (fitsAt(over) && over > 1e-300) over /= 4;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(fits * over);
    if (fitsAt(mid)) fits = mid;
    else over = mid;
  }
  return fits;
}
