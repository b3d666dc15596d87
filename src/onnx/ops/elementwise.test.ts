import { describe, expect, it } from 'vitest';
import { erf, roundHalfEven } from './math.ts';
import { float, int, int64, run, str, t, values } from './test-helpers.ts';
import { UnsupportedOpError } from './types.ts';

describe('elementwise binary ops broadcast like numpy', () => {
  it('adds a row vector to a matrix', () => {
    expect(values('Add', [t([2, 3], [1, 2, 3, 4, 5, 6]), t([3], [10, 20, 30])])).toEqual([11, 22, 33, 14, 25, 36]);
  });

  it('broadcasts both ways: [2,1] x [1,3] -> [2,3]', () => {
    const [out] = run('Mul', [t([2, 1], [2, 3]), t([1, 3], [1, 10, 100])]);
    expect(out.dims).toEqual([2, 3]);
    expect([...out.data]).toEqual([2, 20, 200, 3, 30, 300]);
  });

  it('broadcasts a middle axis of a rank-3 tensor against a scalar and a rank-2', () => {
    const a = t([2, 1, 2], [1, 2, 3, 4]);
    const b = t([3, 1], [0, 10, 100]);
    expect(values('Sub', [a, b])).toEqual([1, 2, -9, -8, -99, -98, 3, 4, -7, -6, -97, -96]);
    expect(values('Add', [a, t([], [1])])).toEqual([2, 3, 4, 5]);
  });

  it('rejects shapes that do not broadcast, naming the node', () => {
    expect(() => run('Add', [t([2], [1, 2]), t([3], [1, 2, 3])])).toThrow(/Add at node "add_0".*do not broadcast/);
  });

  it('divides integers truncating toward zero and floats exactly', () => {
    expect(values('Div', [int64([4], [7, -7, 7, -7]), int64([4], [2, 2, -2, -2])])).toEqual([3, -3, -3, 3]);
    expect(values('Div', [t([2], [7, -7]), t([1], [2])])).toEqual([3.5, -3.5]);
  });

  it('Mod follows the divisor sign by default and the dividend sign with fmod=1', () => {
    expect(values('Mod', [int64([4], [5, -5, 5, -5]), int64([4], [3, 3, -3, -3])])).toEqual([2, 1, -1, -2]);
    expect(values('Mod', [t([2], [5.5, -5.5]), t([2], [2, 2])], { attrs: { fmod: int(1) } })).toEqual([1.5, -1.5]);
    expect(() => run('Mod', [t([1], [1]), t([1], [2])])).toThrow(UnsupportedOpError);
  });

  it('Pow, Min, Max (variadic) and Mean', () => {
    expect(values('Pow', [t([3], [2, 3, 4]), t([], [2])])).toEqual([4, 9, 16]);
    expect(values('Max', [t([2], [1, 5]), t([2], [3, 2]), t([1], [4])])).toEqual([4, 5]);
    expect(values('Min', [t([2], [1, 5]), t([2], [3, 2])])).toEqual([1, 2]);
    expect(values('Mean', [t([2], [1, 5]), t([2], [3, 1])])).toEqual([2, 3]);
  });

  it('comparisons and logic give bool', () => {
    const [eq] = run('Equal', [int64([3], [1, 2, 3]), int64([], [2])]);
    expect(eq.dtype).toBe('bool');
    expect([...eq.data]).toEqual([0, 1, 0]);
    expect(values('Less', [t([3], [1, 2, 3]), t([], [2])])).toEqual([1, 0, 0]);
    expect(values('GreaterOrEqual', [t([3], [1, 2, 3]), t([], [2])])).toEqual([0, 1, 1]);
    expect(values('LessOrEqual', [t([3], [1, 2, 3]), t([], [2])])).toEqual([1, 1, 0]);
    expect(values('Greater', [t([3], [1, 2, 3]), t([], [2])])).toEqual([0, 0, 1]);
    const b = (d: number[]) => t([d.length], d, 'bool');
    expect(values('And', [b([0, 1, 1]), b([1, 1, 0])])).toEqual([0, 1, 0]);
    expect(values('Or', [b([0, 1, 0]), b([0, 0, 1])])).toEqual([0, 1, 1]);
    expect(run('Not', [b([0, 1])])[0]).toMatchObject({ dtype: 'bool', data: Float64Array.of(1, 0) });
  });

  it('Where broadcasts condition, x and y', () => {
    const cond = t([2, 1], [1, 0], 'bool');
    const [out] = run('Where', [cond, int64([3], [1, 2, 3]), int64([], [-1])]);
    expect(out.dtype).toBe('int64');
    expect([...out.data]).toEqual([1, 2, 3, -1, -1, -1]);
  });

  it('Clip takes bounds from inputs (opset >= 11) or attributes (before)', () => {
    expect(values('Clip', [t([4], [-2, 0, 3, 9]), t([], [-1]), t([], [6])], { opset: 13 })).toEqual([-1, 0, 3, 6]);
    expect(values('Clip', [t([2], [-2, 9]), undefined, t([], [6])], { opset: 13 })).toEqual([-2, 6]);
    expect(values('Clip', [t([2], [-2, 9])], { opset: 6, attrs: { min: float(0), max: float(1) } })).toEqual([0, 1]);
  });
});

describe('unary ops', () => {
  it('Round ties to even', () => {
    expect(values('Round', [t([8], [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6])])).toEqual([0, 2, 2, -0, -2, -2, 2, 3]);
    expect(roundHalfEven(3.5)).toBe(4);
    expect(roundHalfEven(-3.5)).toBe(-4);
  });

  it('erf matches known values to float64 precision', () => {
    // Reference values from tables (Abramowitz & Stegun), 15+ digits.
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 15);
    expect(erf(-2)).toBeCloseTo(-0.9953222650189527, 15);
    expect(erf(3.5)).toBeCloseTo(0.9999992569016276, 15);
    expect(1 - erf(4)).toBeCloseTo(1.541725790028002e-8, 15); // 1 - erf cancels: only absolute precision is meaningful
    // Around the switch between series and continued fraction (values from Python's math.erf).
    expect(erf(2.9)).toBeCloseTo(0.9999589021219005, 15);
    expect(erf(3.0)).toBeCloseTo(0.9999779095030014, 15);
    expect(erf(3.1)).toBeCloseTo(0.9999883513426328, 15);
    expect(erf(5)).toBeCloseTo(0.9999999999984626, 15);
    expect(erf(10)).toBe(1);
  });

  it('elementwise math functions', () => {
    const x = t([3], [-1, 0, 2]);
    expect(values('Relu', [x])).toEqual([0, 0, 2]);
    expect(values('Neg', [x])).toEqual([1, -0, -2]);
    expect(values('Abs', [x])).toEqual([1, 0, 2]);
    expect(values('Sigmoid', [x])).toEqual([1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]);
    expect(values('Reciprocal', [t([2], [4, -0.5])])).toEqual([0.25, -2]);
    expect(values('Sqrt', [t([2], [4, 9])])).toEqual([2, 3]);
    expect(values('Floor', [t([2], [-1.5, 1.5])])).toEqual([-2, 1]);
    expect(values('Ceil', [t([2], [-1.5, 1.5])])).toEqual([-1, 2]);
    expect(values('HardSigmoid', [t([3], [-5, 0, 5])])).toEqual([0, 0.5, 1]);
    expect(values('HardSwish', [t([3], [-4, 0, 1])])).toEqual([-0, 0, 1 * (1 / 6 + 0.5)]);
  });

  it('Gelu exact and tanh forms', () => {
    const [exact] = values('Gelu', [t([1], [1])], { opset: 20 });
    expect(exact).toBeCloseTo(0.8413447460685429, 14); // Phi(1)
    const [approx] = values('Gelu', [t([1], [1])], { opset: 20, attrs: { approximate: str('tanh') } });
    expect(approx).toBeCloseTo(0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), 14);
    expect(() => run('Gelu', [t([1], [1])], { attrs: { approximate: str('fast') } })).toThrow(/Gelu at node "gelu_0".*approximate/);
  });

  it('IsNaN and IsInf give bool', () => {
    const x = t([4], [NaN, Infinity, -Infinity, 1]);
    expect(values('IsNaN', [x])).toEqual([1, 0, 0, 0]);
    expect(values('IsInf', [x])).toEqual([0, 1, 1, 0]);
    expect(run('IsInf', [x], { attrs: { detect_negative: int(0) } })[0]).toMatchObject({ dtype: 'bool', data: Float64Array.of(0, 1, 0, 0) });
  });

  it('unknown attributes are refused, not ignored', () => {
    expect(() => run('Relu', [t([1], [1])], { attrs: { alpha: float(2) } })).toThrow(/Unsupported operator Relu at node "relu_0": attribute "alpha"/);
  });
});
