import { describe, expect, it } from 'vitest';
import { int, ints, run, str, t, values } from './test-helpers.ts';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/** Direct definition of 2-D cross-correlation on one image, independent of the op. */
function naiveConv(x: number[][][], w: number[][][][], stride: number, pad: number, group = 1): number[][][] {
  const C = x.length, H = x[0].length, W = x[0][0].length;
  const M = w.length, K = w[0][0].length;
  const cg = C / group, mg = M / group;
  const oh = Math.floor((H + 2 * pad - K) / stride) + 1;
  const ow = Math.floor((W + 2 * pad - K) / stride) + 1;
  return range(M).map((m) => range(oh).map((i) => range(ow).map((j) => {
    let s = 0;
    const g = Math.floor(m / mg);
    for (let c = 0; c < cg; c++) for (let u = 0; u < K; u++) for (let v = 0; v < K; v++) {
      const y = i * stride - pad + u, xx = j * stride - pad + v;
      if (y >= 0 && y < H && xx >= 0 && xx < W) s += x[g * cg + c][y][xx] * w[m][c][u][v];
    }
    return s;
  })));
}

/** `flat` as nested arrays of shape `dims` (T: the nested array type the caller expects). */
const nest = <T,>(flat: number[], dims: number[]): T =>
  (dims.length === 1 ? flat : range(dims[0]).map((i) => nest(flat.slice(i * (flat.length / dims[0]), (i + 1) * (flat.length / dims[0])), dims.slice(1)))) as T;

describe('Conv', () => {
  it('a 2x2 kernel, stride 1, no padding, with bias', () => {
    const x = t([1, 1, 3, 3], range(9, 1));
    const w = t([1, 1, 2, 2], [1, 0, 0, -1]);
    const [out] = run('Conv', [x, w, t([1], [10])]);
    expect(out.dims).toEqual([1, 1, 2, 2]);
    expect([...out.data]).toEqual([6, 6, 6, 6]); // x[i][j] - x[i+1][j+1] = -4, + 10
  });

  it('padding and stride against the direct definition', () => {
    const xs = range(2 * 5 * 5).map((v) => (v * 7) % 11 - 5);
    const ws = range(3 * 2 * 3 * 3).map((v) => (v * 5) % 7 - 3);
    const [out] = run('Conv', [t([1, 2, 5, 5], xs), t([3, 2, 3, 3], ws)], { attrs: { pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) } });
    expect(out.dims).toEqual([1, 3, 3, 3]);
    expect([...out.data]).toEqual(naiveConv(nest<number[][][]>(xs, [2, 5, 5]), nest<number[][][][]>(ws, [3, 2, 3, 3]), 2, 1).flat(2));
  });

  it('groups (depthwise) against the direct definition', () => {
    const xs = range(4 * 3 * 3).map((v) => (v % 5) - 2);
    const ws = range(4 * 1 * 2 * 2).map((v) => (v % 3) - 1);
    const [out] = run('Conv', [t([1, 4, 3, 3], xs), t([4, 1, 2, 2], ws)], { attrs: { group: int(4) } });
    expect([...out.data]).toEqual(naiveConv(nest<number[][][]>(xs, [4, 3, 3]), nest<number[][][][]>(ws, [4, 1, 2, 2]), 1, 0, 4).flat(2));
  });

  it('patch embedding: kernel = stride, batch of 2', () => {
    const xs = range(2 * 1 * 4 * 4);
    const [out] = run('Conv', [t([2, 1, 4, 4], xs), t([1, 1, 2, 2], [1, 1, 1, 1])], { attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } });
    expect(out.dims).toEqual([2, 1, 2, 2]);
    const first = [0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15];
    expect([...out.data]).toEqual([...first, ...first.map((v) => v + 4 * 16)]); // image 2 is image 1 + 16
  });

  it('auto_pad SAME_UPPER and SAME_LOWER put the odd pad at the end or the start', () => {
    const x = t([1, 1, 1, 4], [1, 2, 3, 4]);
    const w = t([1, 1, 1, 2], [1, 10]);
    // out = ceil(4/1) = 4, total pad 1
    expect(values('Conv', [x, w], { attrs: { auto_pad: str('SAME_UPPER') } })).toEqual([21, 32, 43, 4]);
    expect(values('Conv', [x, w], { attrs: { auto_pad: str('SAME_LOWER') } })).toEqual([10, 21, 32, 43]);
    expect(values('Conv', [x, w], { attrs: { auto_pad: str('VALID') } })).toEqual([21, 32, 43]);
  });

  it('1-D convolution and dilation', () => {
    const [out] = run('Conv', [t([1, 1, 5], [1, 2, 3, 4, 5]), t([1, 1, 2], [1, -1])], { attrs: { dilations: ints([2]) } });
    expect(out.dims).toEqual([1, 1, 3]);
    expect([...out.data]).toEqual([-2, -2, -2]);
  });

  it('refuses 3-D convolution and bad groups', () => {
    expect(() => run('Conv', [t([1, 1, 1, 1, 1], [1]), t([1, 1, 1, 1, 1], [1])])).toThrow(/Conv at node "conv_0": 3-D convolution/);
    expect(() => run('Conv', [t([1, 3, 2, 2], range(12)), t([2, 3, 1, 1], range(6))], { attrs: { group: int(2) } })).toThrow(/group 2/);
  });
});
