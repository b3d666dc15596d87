import { describe, expect, it } from 'vitest';
import { dequantize, fakeQuantize, levels, paramsForRange, perChannelParams, quantize } from './quantizer.ts';
import { RangeObserver } from '../calibration/observers.ts';

describe('the quantizer (paper eq. 1)', () => {
  it('rounds ties to even before adding the zero point', () => {
    const p = { scale: 1, zeroPoint: 0, bits: 8 };
    expect([0.5, 1.5, 2.5, 3.5].map((x) => quantize(x, p))).toEqual([0, 2, 2, 4]);
  });

  it('clamps to 0 .. 2^k - 1', () => {
    const p = { scale: 0.5, zeroPoint: 2, bits: 3 };
    expect(quantize(-10, p)).toBe(0);
    expect(quantize(10, p)).toBe(levels(3));
    expect(dequantize(quantize(0, p), p)).toBe(0);
  });

  it('covers [min, max] widened to hold zero exactly', () => {
    const p = paramsForRange(0.5, 2, 4);
    expect(p.zeroPoint).toBe(0);
    expect(p.scale).toBeCloseTo(2 / 15, 6);
    const q = paramsForRange(-1, 3, 8);
    expect(fakeQuantize(0, q)).toBe(0);
    expect(Math.abs(fakeQuantize(3, q) - 3)).toBeLessThanOrEqual(q.scale / 2);
    expect(Math.abs(fakeQuantize(-1, q) + 1)).toBeLessThanOrEqual(q.scale / 2);
  });

  it('survives a constant channel', () => {
    const p = paramsForRange(0, 0, 4);
    expect(Number.isFinite(p.scale)).toBe(true);
    expect(fakeQuantize(0, p)).toBe(0);
  });

  it('gives each output channel its own range', () => {
    const w = Float32Array.from([0, 1, 2, 3, -8, 0, 4, 8]);
    const [a, b] = perChannelParams(w, 2, 4, 2);
    expect(a.scale).toBeCloseTo(1, 6);
    expect(b.scale).toBeCloseTo(16 / 3, 5);
  });

  it('rejects impossible bit widths', () => {
    expect(() => levels(0)).toThrow(/bit width/);
  });
});

describe('activation range observers', () => {
  it('tracks min and max exactly and clips outliers with percentiles', () => {
    const obs = new RangeObserver(4096, 3);
    const values = Float32Array.from({ length: 10000 }, (_, i) => (i % 100) / 100);
    values[5] = 50;
    obs.add(values);
    expect(obs.min).toBe(0);
    expect(obs.max).toBe(50);
    const minmax = obs.params(8, 'minmax');
    const pct = obs.params(8, 'percentile', 99.9);
    expect(pct.scale).toBeLessThan(minmax.scale / 10);
  });

  it('MSE search never does worse than min/max on the sample', () => {
    const obs = new RangeObserver(4096, 4);
    const values = Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i) * (i % 97 === 0 ? 20 : 1));
    obs.add(values);
    const err = (p: ReturnType<typeof obs.params>) => values.reduce((s, v) => s + (v - fakeQuantize(v, p)) ** 2, 0);
    expect(err(obs.params(4, 'mse'))).toBeLessThanOrEqual(err(obs.params(4, 'minmax')));
  });

  it("'auto' is the percentile at 7-8 bits and the MSE search at 6 bits and below", () => {
    const obs = new RangeObserver(4096, 5);
    obs.add(Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i) * (i % 97 === 0 ? 20 : 1)));
    for (const bits of [8, 7]) expect(obs.params(bits, 'auto')).toEqual(obs.params(bits, 'percentile'));
    for (const bits of [6, 4]) expect(obs.params(bits, 'auto')).toEqual(obs.params(bits, 'mse'));
    expect(obs.params(4, 'mse')).not.toEqual(obs.params(4, 'percentile'));
  });
});
