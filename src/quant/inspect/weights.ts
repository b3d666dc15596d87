import { levels, quantize, type QuantParams } from '../simulation/quantizer.ts';

/**
 * What the layer view draws about one quantized weight: its histogram against the quantization
 * grid, and how the learned rounding moved weights relative to nearest rounding. Weights are in
 * their stored layout; `channelOf(i)` names the output channel (and so the scale) of element i.
 */

export interface Histogram {
  /** Left edge of bin 0 and the bin width; bin b covers [lo + b·width, lo + (b+1)·width). */
  lo: number;
  width: number;
  counts: number[];
}

/** Equal-width histogram over [lo, hi]; the top edge belongs to the last bin. */
export function histogram(values: ArrayLike<number>, bins: number, lo: number, hi: number): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`a histogram needs a positive whole number of bins, got ${bins}`);
  const span = hi > lo ? hi - lo : 1;
  const width = span / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  return { lo, width, counts };
}

/** The values a channel's weights can take: s·(q − z) for every level q. */
export function gridOf(p: QuantParams): number[] {
  return Array.from({ length: levels(p.bits) + 1 }, (_, q) => Math.fround(p.scale * (q - p.zeroPoint)));
}

/**
 * Every weight in level units, w/s + z: the grid is then the integers 0 … 2^k − 1 for every
 * channel at once, so one histogram shows the whole layer against its grid.
 */
export function inLevelUnits(weight: ArrayLike<number>, params: readonly QuantParams[], channelOf: (i: number) => number): Float64Array {
  const out = new Float64Array(weight.length);
  for (let i = 0; i < weight.length; i++) {
    const p = params[channelOf(i)];
    out[i] = weight[i] / p.scale + p.zeroPoint;
  }
  return out;
}

export interface RoundingCounts {
  total: number;
  /** Weights whose quantized value lies above / below / on the float weight. */
  up: number;
  down: number;
  exact: number;
  /** The same for nearest rounding, for comparison. */
  nearestUp: number;
  nearestDown: number;
  /** Weights whose learned level differs from the nearest level: one level up or down (or more). */
  aboveNearest: number;
  belowNearest: number;
}

/**
 * How `quantized` (e.g. AdaRound's W~) rounded each weight compared with round-to-nearest under the
 * same per-channel parameters. A W~ equal to nearest rounding gives aboveNearest = belowNearest = 0.
 */
export function roundingCounts(weight: ArrayLike<number>, quantized: ArrayLike<number>, params: readonly QuantParams[], channelOf: (i: number) => number): RoundingCounts {
  if (weight.length !== quantized.length) throw new RangeError(`the quantized weight has ${quantized.length} values, the weight ${weight.length}`);
  const c: RoundingCounts = { total: weight.length, up: 0, down: 0, exact: 0, nearestUp: 0, nearestDown: 0, aboveNearest: 0, belowNearest: 0 };
  for (let i = 0; i < weight.length; i++) {
    const p = params[channelOf(i)];
    const w = weight[i];
    const q = quantized[i];
    if (q > w) c.up++;
    else if (q < w) c.down++;
    else c.exact++;
    const nearest = quantize(w, p);
    const nearestValue = Math.fround(p.scale * (nearest - p.zeroPoint));
    if (nearestValue > w) c.nearestUp++;
    else if (nearestValue < w) c.nearestDown++;
    // W~ lies on the grid, so its level is exact up to float32 rounding of s·(q − z).
    const level = Math.round(q / p.scale) + p.zeroPoint;
    if (level > nearest) c.aboveNearest++;
    else if (level < nearest) c.belowNearest++;
  }
  return c;
}
