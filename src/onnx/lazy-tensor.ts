import type { ByteSource } from './byte-source.ts';
import type { DType, Tensor, TensorValues } from './ir.ts';

/**
 * A tensor whose values are read from their file when used, so a model of hundreds of megabytes
 * is not held in memory twice (the file and the decoded arrays) nor at all between uses.
 *
 * `data` is an ordinary enumerable property (a getter), so code that reads `t.data` or spreads
 * `{ ...t }` works unchanged. The tensors read last stay in memory, up to RECENT_BYTES in all
 * (a loop over `t.data`, or a function reading it twice, reads the file once); older ones are let
 * go and read again when next used. (Not a WeakRef: an object a WeakRef was made for survives to
 * the end of the synchronous job, and one job may walk every weight of a model.)
 */
export class LazyTensor implements Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: number[];
  declare readonly data: TensorValues;
  /** Bytes the values take in the file (for memory accounting). */
  readonly storedBytes: number;
  /**
   * Where the values lie in their file when the stored bytes are the in-memory array's own
   * (float32 and int32, little-endian): the GPU upload then copies them straight from the file a
   * piece at a time (engine/constants.ts), never materialising the whole array.
   */
  readonly raw: { source: ByteSource; offset: number } | null;
  #load: () => TensorValues;

  constructor(name: string, dtype: DType, dims: number[], storedBytes: number, load: () => TensorValues, raw: { source: ByteSource; offset: number } | null = null) {
    this.name = name;
    this.dtype = dtype;
    this.dims = dims;
    this.storedBytes = storedBytes;
    this.raw = raw;
    this.#load = load;
    Object.defineProperty(this, 'data', { enumerable: true, get: () => this.values() });
  }

  /** Whether the values are in memory now (tests, memory accounting). */
  get resident(): boolean {
    return recent.has(this);
  }

  /** The values, without keeping them for a next use when they are not in memory already. */
  valuesOnce(): TensorValues {
    return recent.get(this) ?? this.#load();
  }

  private values(): TensorValues {
    const held = recent.get(this);
    if (held) {
      recent.delete(this);
      recent.set(this, held);
      return held;
    }
    const values = this.#load();
    remember(this, values);
    return values;
  }
}

/** Bytes of lazily read values kept for their next use. */
export const RECENT_BYTES = 64 * 2 ** 20;

const recent = new Map<LazyTensor, TensorValues>();
let recentBytes = 0;

function byteLength(values: TensorValues): number {
  return Array.isArray(values) ? 0 : values.byteLength;
}

function remember(t: LazyTensor, values: TensorValues): void {
  recent.set(t, values);
  recentBytes += byteLength(values);
  for (const [old, held] of recent) {
    if (recentBytes <= RECENT_BYTES || old === t) break;
    recent.delete(old);
    recentBytes -= byteLength(held);
  }
}

/**
 * A tensor's values for a pass that reads each tensor once (an upload, the codes of a weight): a
 * lazily read tensor is not kept afterwards, so such a pass over a whole model does not fill
 * RECENT_BYTES with values nobody will read again.
 */
export function valuesOnce(t: Tensor): TensorValues {
  return t instanceof LazyTensor ? t.valuesOnce() : t.data;
}

export function isLazyTensor(t: Tensor): t is LazyTensor {
  return t instanceof LazyTensor;
}
