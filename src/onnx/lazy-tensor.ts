import type { DType, Tensor, TensorValues } from './ir.ts';

/**
 * A tensor whose values are read from their file when used, so a model of hundreds of megabytes
 * is not held in memory twice (the file and the decoded arrays) nor at all between uses.
 *
 * `data` is an ordinary enumerable property (a getter), so code that reads `t.data` or spreads
 * `{ ...t }` works unchanged. The values last read stay shared while anything still holds them
 * (a WeakRef): a loop over `t.data` reads the file once, and once nothing holds the array the
 * garbage collector may drop it, to be read again on the next use.
 */
export class LazyTensor implements Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: number[];
  declare readonly data: TensorValues;
  /** Bytes the values take in the file (for memory accounting). */
  readonly storedBytes: number;
  #load: () => TensorValues;
  #cached: WeakRef<TensorValues> | null = null;

  constructor(name: string, dtype: DType, dims: number[], storedBytes: number, load: () => TensorValues) {
    this.name = name;
    this.dtype = dtype;
    this.dims = dims;
    this.storedBytes = storedBytes;
    this.#load = load;
    Object.defineProperty(this, 'data', { enumerable: true, get: () => this.values() });
  }

  /** Whether the values are in memory now (tests, memory accounting). */
  get resident(): boolean {
    return this.#cached?.deref() !== undefined;
  }

  private values(): TensorValues {
    const held = this.#cached?.deref();
    if (held) return held;
    const values = this.#load();
    // Strings are not weakly referenceable as an array of them is; a string tensor is never lazy.
    this.#cached = new WeakRef(values as Float32Array);
    return values;
  }
}

export function isLazyTensor(t: Tensor): t is LazyTensor {
  return t instanceof LazyTensor;
}
