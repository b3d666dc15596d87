import { describe, expect, it } from 'vitest';
import { onnxOps } from './index.ts';
import { int, int64, ints, node, run, t, values } from './test-helpers.ts';

const x234 = t([2, 3, 4], Array.from({ length: 24 }, (_, i) => i));

describe('shape ops', () => {
  it('Shape gives int64 dims, honouring start/end (opset 15)', () => {
    const [s] = run('Shape', [x234]);
    expect(s.dtype).toBe('int64');
    expect([...s.data]).toEqual([2, 3, 4]);
    expect(values('Shape', [x234], { opset: 15, attrs: { start: int(1) } })).toEqual([3, 4]);
    expect(values('Shape', [x234], { opset: 15, attrs: { start: int(-2), end: int(-1) } })).toEqual([3]);
    expect(values('Shape', [x234], { opset: 15, attrs: { start: int(5) } })).toEqual([]);
  });

  it('Size is a scalar int64', () => {
    expect(run('Size', [x234])[0]).toMatchObject({ dtype: 'int64', dims: [], data: Float64Array.of(24) });
  });

  it('Reshape copies 0 from the input and infers -1', () => {
    expect(run('Reshape', [x234, int64([3], [0, -1, 2])])[0].dims).toEqual([2, 6, 2]);
    expect(run('Reshape', [x234, int64([2], [-1, 4])])[0].dims).toEqual([6, 4]);
    expect(values('Reshape', [x234, int64([1], [-1])])).toEqual([...x234.data]);
  });

  it('Reshape with allowzero keeps a literal 0', () => {
    const empty = t([0, 3], []);
    expect(run('Reshape', [empty, int64([2], [3, 0])], { opset: 14, attrs: { allowzero: int(1) } })[0].dims).toEqual([3, 0]);
  });

  it('Reshape refuses impossible targets and an unknown target shape', () => {
    expect(() => run('Reshape', [x234, int64([2], [5, -1])])).toThrow(/Reshape at node "reshape_0": cannot reshape/);
    expect(() => run('Reshape', [x234, int64([2], [-1, -1])])).toThrow(/invalid target shape/);
    const ctx = { node: node('Reshape', {}, 2), opset: 17 };
    expect(() => onnxOps.Reshape.infer([x234, { dtype: 'int64', dims: [2] }], ctx, [])).toThrow(
      /Unsupported operator Reshape at node "reshape_0": the target shape \(input 1\) must be known at plan time/,
    );
  });

  it('Flatten at an axis, including 0 and negative', () => {
    expect(run('Flatten', [x234])[0].dims).toEqual([2, 12]);
    expect(run('Flatten', [x234], { attrs: { axis: int(0) } })[0].dims).toEqual([1, 24]);
    expect(run('Flatten', [x234], { attrs: { axis: int(-1) } })[0].dims).toEqual([6, 4]);
  });

  it('Squeeze and Unsqueeze take axes as attributes before opset 13 and inputs from 13', () => {
    const x = t([1, 3, 1], [1, 2, 3]);
    expect(run('Squeeze', [x], { opset: 11, attrs: { axes: ints([0]) } })[0].dims).toEqual([3, 1]);
    expect(run('Squeeze', [x, int64([1], [-1])], { opset: 13 })[0].dims).toEqual([1, 3]);
    expect(run('Squeeze', [x], { opset: 13 })[0].dims).toEqual([3]);
    expect(() => run('Squeeze', [x, int64([1], [1])], { opset: 13 })).toThrow(/cannot squeeze axis 1/);
    expect(run('Unsqueeze', [t([3], [1, 2, 3])], { opset: 11, attrs: { axes: ints([0, 2]) } })[0].dims).toEqual([1, 3, 1]);
    expect(run('Unsqueeze', [t([3], [1, 2, 3]), int64([2], [-1, 0])], { opset: 13 })[0].dims).toEqual([1, 3, 1]);
    expect(run('Unsqueeze', [t([], [7]), int64([1], [0])], { opset: 13 })[0]).toMatchObject({ dims: [1], data: Float64Array.of(7) });
    expect(() => run('Unsqueeze', [t([3], [1, 2, 3]), int64([1], [0])], { opset: 11 })).toThrow(/axes are required/);
  });

  it('Expand broadcasts both ways', () => {
    const [out] = run('Expand', [t([3, 1], [1, 2, 3]), int64([3], [2, 1, 2])]);
    expect(out.dims).toEqual([2, 3, 2]);
    expect([...out.data]).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
  });

  it('ConstantOfShape fills with the value attribute or float zero', () => {
    expect(run('ConstantOfShape', [int64([2], [2, 2])])[0]).toMatchObject({ dtype: 'float32', dims: [2, 2], data: new Float64Array(4) });
    const value = { type: 'tensor' as const, value: { name: 'v', dtype: 'int64' as const, dims: [1], data: Float64Array.of(7) } };
    expect(run('ConstantOfShape', [int64([1], [3])], { attrs: { value } })[0]).toMatchObject({ dtype: 'int64', data: Float64Array.of(7, 7, 7) });
  });

  it('Range counts like numpy.arange', () => {
    expect(values('Range', [int64([], [0]), int64([], [5]), int64([], [2])])).toEqual([0, 2, 4]);
    expect(values('Range', [t([], [1]), t([], [0]), t([], [-0.25])])).toEqual([1, 0.75, 0.5, 0.25]);
    expect(values('Range', [int64([], [3]), int64([], [1]), int64([], [1])])).toEqual([]);
  });
});
