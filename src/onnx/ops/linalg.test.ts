import { describe, expect, it } from 'vitest';
import { float, int, run, t, values } from './test-helpers.ts';

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

/** Straightforward triple loop, independent of the op's implementation. */
function naive(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    out.push(s);
  }
  return out;
}

describe('MatMul', () => {
  it('multiplies 2-D matrices', () => {
    expect(values('MatMul', [t([2, 3], [1, 2, 3, 4, 5, 6]), t([3, 2], [7, 8, 9, 10, 11, 12])])).toEqual([58, 64, 139, 154]);
  });

  it('broadcasts batch dims (a shared weight and a [2,1] x [3] batch)', () => {
    const a = range(2 * 3 * 2 * 4);
    const w = range(4 * 5);
    const [out] = run('MatMul', [t([2, 3, 2, 4], a), t([4, 5], w)]);
    expect(out.dims).toEqual([2, 3, 2, 5]);
    const expected = Array.from({ length: 6 }, (_, z) => naive(a.slice(z * 8, z * 8 + 8), w, 2, 4, 5)).flat();
    expect([...out.data]).toEqual(expected);

    const x = range(2 * 2 * 2);
    const y = range(3 * 2 * 2, 10);
    const [bb] = run('MatMul', [t([2, 1, 2, 2], x), t([3, 2, 2], y)]);
    expect(bb.dims).toEqual([2, 3, 2, 2]);
    // batch (1, 2): x[1] times y[2]
    expect([...bb.data.slice((1 * 3 + 2) * 4, (1 * 3 + 2) * 4 + 4)]).toEqual(naive(x.slice(4, 8), y.slice(8, 12), 2, 2, 2));
  });

  it('handles 1-D operands by adding and removing a unit axis', () => {
    expect(run('MatMul', [t([2], [1, 2]), t([2, 3], [1, 2, 3, 4, 5, 6])])[0]).toMatchObject({ dims: [3], data: Float64Array.of(9, 12, 15) });
    expect(run('MatMul', [t([2, 3], [1, 2, 3, 4, 5, 6]), t([3], [1, 0, -1])])[0]).toMatchObject({ dims: [2], data: Float64Array.of(-2, -2) });
    expect(run('MatMul', [t([2], [1, 2]), t([2], [3, 4])])[0]).toMatchObject({ dims: [], data: Float64Array.of(11) });
  });

  it('rejects mismatched inner dims', () => {
    expect(() => run('MatMul', [t([2, 3], range(6)), t([2, 2], range(4))])).toThrow(/MatMul at node "matmul_0": inner dims differ/);
  });
});

describe('Gemm', () => {
  const a = [1, 2, 3, 4, 5, 6]; // 2x3
  const b = [1, 0, 2, 1, 0, 3]; // 3x2

  it('computes alpha A B + beta C with C broadcast', () => {
    const out = values('Gemm', [t([2, 3], a), t([3, 2], b), t([2], [1, -1])], { attrs: { alpha: float(2), beta: float(3) } });
    expect(out).toEqual(naive(a, b, 2, 3, 2).map((v, i) => 2 * v + 3 * (i % 2 === 0 ? 1 : -1)));
  });

  it('reads transposed A and B (a Linear layer weight)', () => {
    const aT = [1, 4, 2, 5, 3, 6];
    const bT = [1, 2, 0, 0, 1, 3];
    const out = values('Gemm', [t([3, 2], aT), t([2, 3], bT)], { attrs: { transA: int(1), transB: int(1) } });
    expect(out).toEqual(naive(a, b, 2, 3, 2));
  });

  it('rejects a C that does not broadcast', () => {
    expect(() => run('Gemm', [t([2, 3], a), t([3, 2], b), t([3], [1, 2, 3])])).toThrow(/C \[3\] does not broadcast/);
  });
});
