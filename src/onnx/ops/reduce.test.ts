import { describe, expect, it } from 'vitest';
import { int, int64, ints, run, t, values } from './test-helpers.ts';

const x = t([2, 3], [1, 2, 3, 4, 5, 6]);

describe('reductions', () => {
  it('ReduceMean with axes attribute (opset 17) and keepdims', () => {
    expect(run('ReduceMean', [x], { opset: 17, attrs: { axes: ints([-1]) } })[0]).toMatchObject({ dims: [2, 1], data: Float64Array.of(2, 5) });
    expect(run('ReduceMean', [x], { opset: 17, attrs: { axes: ints([0]), keepdims: int(0) } })[0]).toMatchObject({ dims: [3], data: Float64Array.of(2.5, 3.5, 4.5) });
    expect(run('ReduceMean', [x], { opset: 17 })[0]).toMatchObject({ dims: [1, 1], data: Float64Array.of(3.5) });
  });

  it('takes axes as an input from opset 18 (13 for ReduceSum)', () => {
    expect(values('ReduceMean', [x, int64([1], [1])], { opset: 18 })).toEqual([2, 5]);
    expect(values('ReduceSum', [x, int64([1], [0])], { opset: 13 })).toEqual([5, 7, 9]);
    expect(() => run('ReduceSum', [x], { opset: 13, attrs: { axes: ints([0]) } })).toThrow(/ReduceSum at node "reducesum_0": attribute "axes"/);
    expect(values('ReduceSum', [x], { opset: 11, attrs: { axes: ints([1]) } })).toEqual([6, 15]);
  });

  it('empty axes reduce everything, or nothing with noop_with_empty_axes', () => {
    expect(values('ReduceSum', [x, int64([0], [])], { opset: 13 })).toEqual([21]);
    expect(run('ReduceSum', [x, int64([0], [])], { opset: 13, attrs: { noop_with_empty_axes: int(1) } })[0]).toMatchObject({ dims: [2, 3], data: x.data });
  });

  it('Max, Min, Prod, L2, SumSquare, L1', () => {
    const a = { opset: 17, attrs: { axes: ints([1]), keepdims: int(0) } };
    expect(values('ReduceMax', [x], a)).toEqual([3, 6]);
    expect(values('ReduceMin', [x], a)).toEqual([1, 4]);
    expect(values('ReduceProd', [x], a)).toEqual([6, 120]);
    expect(values('ReduceL2', [x], a)).toEqual([Math.sqrt(14), Math.sqrt(77)]);
    expect(values('ReduceSumSquare', [x], a)).toEqual([14, 77]);
    expect(values('ReduceL1', [t([2], [-1, 2])], { opset: 17 })).toEqual([3]);
  });

  it('reduces a middle axis of a rank-3 tensor', () => {
    const y = t([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(values('ReduceSum', [y], { opset: 11, attrs: { axes: ints([1]) } })).toEqual([4, 6, 12, 14]);
  });

  it('ArgMax gives int64 and can select the last of equal maxima', () => {
    const y = t([2, 3], [1, 3, 3, 7, 0, 7]);
    expect(run('ArgMax', [y], { attrs: { axis: int(1) } })[0]).toMatchObject({ dtype: 'int64', dims: [2, 1], data: Float64Array.of(1, 0) });
    expect(values('ArgMax', [y], { attrs: { axis: int(1), select_last_index: int(1), keepdims: int(0) } })).toEqual([2, 2]);
    expect(values('ArgMin', [y], { attrs: { axis: int(0), keepdims: int(0) } })).toEqual([0, 1, 0]);
  });

  it('GlobalAveragePool averages each spatial plane', () => {
    expect(run('GlobalAveragePool', [t([1, 2, 2, 2], [1, 2, 3, 4, 0, 0, 0, 8])])[0]).toMatchObject({ dims: [1, 2, 1, 1], data: Float64Array.of(2.5, 2) });
  });
});

describe('CumSum', () => {
  it('accumulates along an axis, exclusive and reversed', () => {
    const y = t([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(values('CumSum', [y, int64([], [1])])).toEqual([1, 3, 6, 4, 9, 15]);
    expect(values('CumSum', [y, int64([], [0])])).toEqual([1, 2, 3, 5, 7, 9]);
    expect(values('CumSum', [y, int64([], [-1])], { attrs: { exclusive: int(1), reverse: int(1) } })).toEqual([5, 3, 0, 11, 6, 0]);
  });
});
