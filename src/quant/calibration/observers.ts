import { fakeQuantize, paramsForRange, type QuantParams } from '../simulation/quantizer.ts';

/** 'auto': percentile at 7 and 8 bits, least squared error at 6 bits and below, where clipping matters more than outliers. */
export type RangeMethod = 'minmax' | 'percentile' | 'mse' | 'auto';

/** Deterministic PRNG (mulberry32) so a seed makes a run reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Watches one activation tensor over calibration: exact min/max, and a uniform reservoir sample
 * for the percentile and MSE-searched ranges.
 */
export class RangeObserver {
  min = Infinity;
  max = -Infinity;
  private seen = 0;
  private readonly sample: Float32Array;
  private readonly random: () => number;

  constructor(capacity = 1 << 16, seed = 1) {
    this.sample = new Float32Array(capacity);
    this.random = rng(seed);
  }

  add(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      if (this.seen < this.sample.length) this.sample[this.seen] = v;
      else {
        const j = Math.floor(this.random() * (this.seen + 1));
        if (j < this.sample.length) this.sample[j] = v;
      }
      this.seen++;
    }
  }

  /**
   * A batch summarised elsewhere (on the GPU): its exact min and max, and a uniform sample of its
   * values whose size is the batch's share of the capacity (quant/calibrate.ts sizes it so).
   */
  addSummary(min: number, max: number, sample: ArrayLike<number>): void {
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
    for (let i = 0; i < sample.length; i++) {
      const v = sample[i];
      if (this.seen < this.sample.length) this.sample[this.seen] = v;
      else {
        const j = Math.floor(this.random() * (this.seen + 1));
        if (j < this.sample.length) this.sample[j] = v;
      }
      this.seen++;
    }
  }

  /** The reservoir's size: calibration shares it among its batches. */
  get capacity(): number {
    return this.sample.length;
  }

  private samples(): Float32Array {
    return this.sample.subarray(0, Math.min(this.seen, this.sample.length));
  }

  params(bits: number, method: RangeMethod = 'minmax', percentile = 99.99): QuantParams {
    if (this.seen === 0) throw new Error('no calibration data reached this tensor');
    if (method === 'auto') method = bits <= 6 ? 'mse' : 'percentile';
    if (method === 'minmax') return paramsForRange(this.min, this.max, bits);
    const sorted = Float32Array.from(this.samples()).sort();
    if (method === 'percentile') {
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((q / 100) * (sorted.length - 1))))];
      return paramsForRange(at(100 - percentile), at(percentile), bits);
    }
    return mseSearch(sorted, this.min, this.max, bits);
  }
}

/** The clipping of [min, max] (shrunk by a common factor) whose fake quantization has the least squared error. */
function mseSearch(values: Float32Array, min: number, max: number, bits: number): QuantParams {
  let best = paramsForRange(min, max, bits);
  let bestErr = Infinity;
  for (let step = 0; step < 40; step++) {
    const f = 1 - step * 0.02;
    const p = paramsForRange(min * f, max * f, bits);
    let err = 0;
    for (let i = 0; i < values.length; i++) {
      const d = values[i] - fakeQuantize(values[i], p);
      err += d * d;
    }
    if (err < bestErr) {
      bestErr = err;
      best = p;
    }
  }
  return best;
}
