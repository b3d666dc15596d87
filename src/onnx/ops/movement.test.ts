import { describe, expect, it } from 'vitest';
import { int, int64, ints, run, str, t, values } from './test-helpers.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const x234 = t([2, 3, 4], range(24));
const INT64_MAX = 2 ** 63;

describe('Transpose', () => {
  it('permutes with perm and reverses by default', () => {
    const [out] = run('Transpose', [t([2, 3], range(6))]);
    expect(out.dims).toEqual([3, 2]);
    expect([...out.data]).toEqual([0, 3, 1, 4, 2, 5]);
    const [p] = run('Transpose', [x234], { attrs: { perm: ints([1, 0, 2]) } });
    expect(p.dims).toEqual([3, 2, 4]);
    // out[j][i][k] = x[i][j][k] = i*12 + j*4 + k
    expect(p.data[1 * 8 + 1 * 4 + 2]).toBe(12 + 4 + 2);
    expect(() => run('Transpose', [x234], { attrs: { perm: ints([0, 0, 1]) } })).toThrow(/not a permutation/);
  });
});

describe('Concat and Split', () => {
  it('concatenates on a middle axis', () => {
    const [out] = run('Concat', [t([2, 1], [1, 2]), t([2, 2], [3, 4, 5, 6])], { attrs: { axis: int(-1) } });
    expect(out.dims).toEqual([2, 3]);
    expect([...out.data]).toEqual([1, 3, 4, 2, 5, 6]);
  });

  it('concatenates empty inputs', () => {
    expect(values('Concat', [int64([0], []), int64([2], [4, 5])], { attrs: { axis: int(0) } })).toEqual([4, 5]);
  });

  it('splits by attribute (opset < 13), input (>= 13), equally, and by num_outputs (18)', () => {
    const x = t([5], range(5));
    const a = run('Split', [x], { opset: 11, attrs: { split: ints([2, 3]) }, outputs: 2 });
    expect(a.map((o) => [...o.data])).toEqual([[0, 1], [2, 3, 4]]);
    const b = run('Split', [x, int64([2], [4, 1])], { opset: 13, outputs: 2 });
    expect(b.map((o) => [...o.data])).toEqual([[0, 1, 2, 3], [4]]);
    const c = run('Split', [t([2, 4], range(8))], { opset: 13, attrs: { axis: int(1) }, outputs: 2 });
    expect(c.map((o) => [...o.data])).toEqual([[0, 1, 4, 5], [2, 3, 6, 7]]);
    const d = run('Split', [x], { opset: 18, attrs: { num_outputs: int(2) }, outputs: 2 });
    expect(d.map((o) => [...o.data])).toEqual([[0, 1, 2], [3, 4]]);
    expect(() => run('Split', [x], { opset: 13, outputs: 2 })).toThrow(/does not split evenly/);
  });
});

describe('Slice', () => {
  const s = (starts: number[], ends: number[], axes?: number[], steps?: number[]) => [
    x234,
    int64([starts.length], starts),
    int64([ends.length], ends),
    axes ? int64([axes.length], axes) : undefined,
    steps ? int64([steps.length], steps) : undefined,
  ];

  it('takes a middle range on one axis', () => {
    const [out] = run('Slice', s([1], [3], [2]));
    expect(out.dims).toEqual([2, 3, 2]);
    expect([...out.data].slice(0, 4)).toEqual([1, 2, 5, 6]);
  });

  it('clamps huge and negative ends (INT64_MAX, -INT64_MAX)', () => {
    expect(run('Slice', s([1], [INT64_MAX], [1]))[0].dims).toEqual([2, 2, 4]);
    expect(run('Slice', s([-1], [INT64_MAX], [0]))[0].dims).toEqual([1, 3, 4]);
    expect(run('Slice', s([-100], [2], [2]))[0].dims).toEqual([2, 3, 2]);
    expect(run('Slice', s([2], [1], [1]))[0].dims).toEqual([2, 0, 4]);
  });

  it('steps backwards with negative steps, reversing to the start', () => {
    const [out] = run('Slice', s([-1], [-INT64_MAX], [2], [-1]));
    expect(out.dims).toEqual([2, 3, 4]);
    expect([...out.data].slice(0, 4)).toEqual([3, 2, 1, 0]);
    const [odd] = run('Slice', s([0, 3], [2, 0], [0, 2], [1, -2]));
    expect(odd.dims).toEqual([2, 3, 2]);
    expect([...odd.data].slice(0, 2)).toEqual([3, 1]);
  });

  it('reads starts/ends from attributes before opset 10', () => {
    expect(values('Slice', [t([5], range(5))], { opset: 9, attrs: { starts: ints([1]), ends: ints([-1]) } })).toEqual([1, 2, 3]);
  });
});

describe('Gather and GatherElements', () => {
  it('gathers rows with negative indices', () => {
    const [out] = run('Gather', [t([3, 2], range(6)), int64([2], [-1, 0])]);
    expect(out.dims).toEqual([2, 2]);
    expect([...out.data]).toEqual([4, 5, 0, 1]);
  });

  it('gathers with a scalar index on axis 1 (cls token pick)', () => {
    const [out] = run('Gather', [x234, int64([], [0])], { attrs: { axis: int(1) } });
    expect(out.dims).toEqual([2, 4]);
    expect([...out.data]).toEqual([0, 1, 2, 3, 12, 13, 14, 15]);
  });

  it('refuses out-of-range indices', () => {
    expect(() => run('Gather', [t([3], [1, 2, 3]), int64([1], [3])])).toThrow(/index 3(, which)? is out of range/);
  });

  it('GatherElements picks along an axis', () => {
    expect(values('GatherElements', [t([2, 2], [1, 2, 3, 4]), int64([2, 2], [0, 0, 1, 0])], { attrs: { axis: int(1) } })).toEqual([1, 1, 4, 3]);
    expect(values('GatherElements', [t([2, 2], [1, 2, 3, 4]), int64([1, 2], [1, -2])], { attrs: { axis: int(0) } })).toEqual([3, 2]);
  });
});

describe('Tile and Pad', () => {
  it('tiles', () => {
    const [out] = run('Tile', [t([2, 2], [1, 2, 3, 4]), int64([2], [1, 2])]);
    expect(out.dims).toEqual([2, 4]);
    expect([...out.data]).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
  });

  it('pads with a constant (input form) and crops with negative pads', () => {
    const x = t([2, 2], [1, 2, 3, 4]);
    const [out] = run('Pad', [x, int64([4], [0, 1, 1, 0]), t([], [9])], { opset: 13 });
    expect(out.dims).toEqual([3, 3]);
    expect([...out.data]).toEqual([9, 1, 2, 9, 3, 4, 9, 9, 9]);
    expect(values('Pad', [x, int64([4], [0, -1, 0, 0])], { opset: 13 })).toEqual([2, 4]);
  });

  it('pads in edge and reflect modes and with the opset-2 attributes', () => {
    const x = t([3], [1, 2, 3]);
    expect(values('Pad', [x, int64([2], [2, 1])], { opset: 13, attrs: { mode: str('edge') } })).toEqual([1, 1, 1, 2, 3, 3]);
    expect(values('Pad', [x, int64([2], [2, 2])], { opset: 13, attrs: { mode: str('reflect') } })).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(values('Pad', [x], { opset: 2, attrs: { pads: ints([1, 0]), value: { type: 'float', value: -1 } } })).toEqual([-1, 1, 2, 3]);
    expect(() => run('Pad', [x, int64([2], [1, 1])], { opset: 13, attrs: { mode: str('wrap') } })).toThrow(/mode="wrap"/);
  });
});

describe('ScatterND', () => {
  it('writes rows and single elements, optionally adding', () => {
    const x = t([3, 2], [1, 2, 3, 4, 5, 6]);
    expect(values('ScatterND', [x, int64([1, 1], [-1]), t([1, 2], [9, 9])])).toEqual([1, 2, 3, 4, 9, 9]);
    expect(values('ScatterND', [x, int64([2, 2], [0, 1, 2, 0]), t([2], [7, 8])])).toEqual([1, 7, 3, 4, 8, 6]);
    expect(values('ScatterND', [x, int64([1, 2], [0, 0]), t([1], [10])], { attrs: { reduction: str('add') } })).toEqual([11, 2, 3, 4, 5, 6]);
    expect(() => run('ScatterND', [x, int64([1, 1], [0]), t([1, 3], [1, 2, 3])])).toThrow(/do not fit/);
  });
});
