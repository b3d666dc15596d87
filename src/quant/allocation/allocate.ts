/**
 * Bit allocation (paper eq. 5-6) by the solver the settings name: the exact knapsack (exact.ts)
 * or the paper's relaxation (relaxed.ts), over the problem of problem.ts.
 */
import { allocateExact } from './exact.ts';
import type { Allocation, AllocationProblem } from './problem.ts';
import { allocateRelaxed } from './relaxed.ts';

export type SolverName = 'exact' | 'relaxed';

export function allocateBits(problem: AllocationProblem, solver: SolverName = 'exact'): Allocation {
  if (solver === 'exact') return allocateExact(problem);
  if (solver === 'relaxed') return allocateRelaxed(problem);
  throw new RangeError(`allocate: unknown solver '${String(solver)}' (expected exact or relaxed)`);
}
