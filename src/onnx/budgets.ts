/**
 * Size budgets for values a graph creates: a 152-byte ConstantOfShape must not be able to ask
 * for gigabytes. Constant folding holds values as float64, so its budgets are tighter than the
 * runtime one (float32 on the GPU). Figures and reasons: docs/errors.md.
 */
import { GraphError } from './ir.ts';
import { printableName } from './names.ts';

/** Largest single folded constant: 2^24 elements (128 MB as float64), above any real weight matrix. */
export const MAX_FOLDED_ELEMENTS = 2 ** 24;
/** Elements folding may create beyond what its inputs held, over the whole graph (256 MB as float64). */
export const MAX_FOLDED_GROWTH = 2 ** 25;
/** Largest value shape inference may give a runtime value: 2^27 elements (512 MB as float32). */
export const MAX_VALUE_ELEMENTS = 2 ** 27;

/** Throws unless every dim is a non-negative safe integer and the count is within `limit`. */
export function checkValueDims(dims: readonly number[], limit: number, where: string, value: string): number {
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new GraphError(`${where} gives "${printableName(value)}" the shape [${dims.join(', ')}]: dims must be whole numbers, not negative`, undefined, value);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > limit) {
    throw new GraphError(`${where} gives "${printableName(value)}" ${count} elements ([${dims.join(', ')}]), more than the limit of ${limit}`, undefined, value);
  }
  return count;
}
