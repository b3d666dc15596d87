import { describe, expect, it } from 'vitest';
import { float, int, run, t, values } from './test-helpers.ts';

const softmaxRow = (row: number[]) => {
  const e = row.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('Softmax', () => {
  const x = t([2, 2, 2], [1, 2, 3, 4, 0, 0, 1, -1]);

  it('normalises the last axis by default from opset 13', () => {
    const out = values('Softmax', [x], { opset: 13 });
    const expected = [[1, 2], [3, 4], [0, 0], [1, -1]].flatMap(softmaxRow);
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 15));
  });

  it('normalises one middle axis from opset 13', () => {
    const out = values('Softmax', [x], { opset: 13, attrs: { axis: int(1) } });
    // pairs along axis 1: (1,3), (2,4), (0,1), (0,-1)
    const [a, b] = softmaxRow([1, 3]);
    expect(out[0]).toBeCloseTo(a, 15);
    expect(out[2]).toBeCloseTo(b, 15);
    const [c, d] = softmaxRow([0, -1]);
    expect(out[5]).toBeCloseTo(c, 15);
    expect(out[7]).toBeCloseTo(d, 15);
  });

  it('coerces to 2-D at axis (default 1) before opset 13', () => {
    const out = values('Softmax', [x], { opset: 11 });
    const expected = [softmaxRow([1, 2, 3, 4]), softmaxRow([0, 0, 1, -1])].flat();
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 15));
    const last = values('Softmax', [x], { opset: 11, attrs: { axis: int(-1) } });
    expect(last[0]).toBeCloseTo(softmaxRow([1, 2])[0], 15);
  });

  it('is stable for large inputs and LogSoftmax is its log', () => {
    const big = t([2], [1000, 1001]);
    const [p0, p1] = values('Softmax', [big], { opset: 13 });
    expect(p0).toBeCloseTo(1 / (1 + Math.E), 15);
    expect(p1).toBeCloseTo(Math.E / (1 + Math.E), 15);
    const [l0] = values('LogSoftmax', [big], { opset: 13 });
    expect(l0).toBeCloseTo(Math.log(1 / (1 + Math.E)), 14);
  });
});

describe('LayerNormalization', () => {
  it('normalises over the last axis with scale and bias, returning Mean and InvStdDev', () => {
    const x = t([2, 3], [1, 2, 3, 2, 2, 2]);
    const [y, mean, inv] = run('LayerNormalization', [x, t([3], [1, 2, 3]), t([3], [0, 0, 1])], {
      attrs: { epsilon: float(0) },
      outputs: 3,
    });
    // row 0: mean 2, variance 2/3, so 1/std = sqrt(3/2); row 1 is constant, so with epsilon 0 its 1/std is infinite
    const s = Math.sqrt(3 / 2);
    expect(y.data[0]).toBeCloseTo(-1 * s * 1, 14);
    expect(y.data[1]).toBeCloseTo(0, 14);
    expect(y.data[2]).toBeCloseTo(1 * s * 3 + 1, 14);
    expect(mean.dims).toEqual([2, 1]);
    expect([...mean.data]).toEqual([2, 2]);
    expect(inv.dtype).toBe('float32');
    expect(inv.data[0]).toBeCloseTo(s, 14);
    expect(inv.data[1]).toBe(Infinity);
  });

  it('normalises over several trailing axes with epsilon', () => {
    const x = t([1, 2, 2], [0, 1, 2, 3]);
    const out = values('LayerNormalization', [x, t([2, 2], [1, 1, 1, 1])], { attrs: { axis: int(1), epsilon: float(0.75) } });
    // mean 1.5, var 1.25, +eps = 2 -> / sqrt 2
    expect(out.map((v) => v * Math.SQRT2)).toEqual([-1.5, -0.5, 0.5, 1.5].map((v) => expect.closeTo(v, 14)));
  });
});

describe('BatchNormalization (inference)', () => {
  it('applies per-channel running statistics', () => {
    const x = t([1, 2, 1, 2], [1, 2, 3, 4]);
    const out = values('BatchNormalization', [x, t([2], [1, 2]), t([2], [0, 1]), t([2], [1, 3]), t([2], [4, 1])], { attrs: { epsilon: float(0) } });
    expect(out).toEqual([0, 0.5, 1, 3]);
  });
});
