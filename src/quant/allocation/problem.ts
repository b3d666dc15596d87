import { affineStoredBits, averageBits, totalParams, type LayerStorage, type StorageOptions } from '../../storage/stored-bits.ts';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { paperErrorModel, type ErrorModel } from './error-models.ts';

/**
 * Bit allocation (paper eq. 5): choose b_l in B minimising sum_l w_l E_l(b_l) subject to
 * "average stored bits per weight <= B_avg", where w_l = S_l (or 1 for a measured error model
 * that says so) and the average counts scales, zero points, restored channels and biases
 * (storage/stored-bits.ts). Two solvers: an exact multiple-choice knapsack and the paper's relaxation (eq. 6).
 */

/** The widths a layer may get unless the problem says otherwise: the settings' default. */
export const DEFAULT_CANDIDATES: readonly number[] = [...DEFAULT_SETTINGS.candidates];

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
export interface Table {
  candidates: number[];
  cost: number[][];
  value: number[][];
  perBit: number[];
  fixed: number[];
  params: number;
  /** Largest total of stored bits that meets the budget. */
  capacity: number;
}

export function buildTable(problem: AllocationProblem): Table {
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

export function finish(problem: AllocationProblem, table: Table, choice: number[], solver: Allocation['solver'], detail: string): Allocation {
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

/** Stored bits of a choice of candidate indices. */
export const storedOf = (table: Table, choice: readonly number[]) => choice.reduce((sum, c, l) => sum + table.cost[l][c], 0);
