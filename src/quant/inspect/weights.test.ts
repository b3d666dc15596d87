import { describe, expect, it } from 'vitest';
import { paramsForRange } from '../simulation/quantizer.ts';
import { gridOf, histogram, inLevelUnits, roundingCounts } from './weights.ts';

describe('histogram', () => {
  it('bins values with the top edge in the last bin and drops values outside', () => {
    const h = histogram([0, 0.1, 0.5, 0.99, 1, -0.1, 1.2, NaN], 4, 0, 1);
    expect(h.lo).toBe(0);
    expect(h.width).toBeCloseTo(0.25);
    expect(h.counts).toEqual([2, 0, 1, 2]);
  });

  it('rejects a bin count that is not a positive integer', () => {
    expect(() => histogram([1], 0, 0, 1)).toThrow(/positive whole number of bins/);
  });
});

describe('quantization grid', () => {
  it('has 2^k values s(q - z), with 0 exactly on it', () => {
    const p = paramsForRange(-1, 2, 2); // scale 1, zero point 1
    expect(gridOf(p)).toEqual([-1, 0, 1, 2]);
    expect(gridOf(paramsForRange(-0.3, 0.7, 4))).toHaveLength(16);
    expect(gridOf(paramsForRange(-0.3, 0.7, 4))).toContain(0);
  });

  it('level units put every channel on the integer grid', () => {
    const params = [paramsForRange(-1, 2, 2), paramsForRange(-2, 4, 2)]; // scales 1 and 2, zero point 1
    const w = [-1, 2, -2, 4, 0.5, 1];
    const channel = (i: number) => (i < 2 || i === 4 ? 0 : 1);
    expect(Array.from(inLevelUnits(w, params, channel))).toEqual([0, 3, 0, 3, 1.5, 1.5]);
  });
});

describe('rounding counts against nearest rounding', () => {
  const p = paramsForRange(-1, 2, 2); // grid -1, 0, 1, 2
  const one = () => 0;

  it('counts nothing moved when the quantized weight is nearest rounding', () => {
    const w = [0.2, 0.7, -0.6, 1.4, 2];
    const nearest = [0, 1, -1, 1, 2];
    const c = roundingCounts(w, nearest, [p], one);
    expect(c).toMatchObject({ total: 5, aboveNearest: 0, belowNearest: 0, up: 1, down: 3, exact: 1, nearestUp: 1, nearestDown: 3 });
  });

  it('counts weights a learned rounding sent the other way', () => {
    const w = [0.2, 0.7, -0.6, 1.4];
    const learned = [1, 0, -1, 2]; // 0.2 up instead of down, 0.7 down instead of up, 1.4 up
    const c = roundingCounts(w, learned, [p], one);
    expect(c.aboveNearest).toBe(2);
    expect(c.belowNearest).toBe(1);
    expect(c.up).toBe(2);
    expect(c.down).toBe(2);
  });

  it('rejects a quantized weight of another size', () => {
    expect(() => roundingCounts([1, 2], [1], [p], one)).toThrow(/1 values, the weight 2/);
  });
});
