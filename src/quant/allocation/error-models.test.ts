import { describe, expect, it } from 'vitest';
import { errorModel, measuredErrorModel, measuredErrorTable, noiseErrorModel, paperErrorModel } from './error-models.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomArray(n: number, rnd: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
}

describe('analytic error models', () => {
  it('paper is 2^-b and noise is 4^-b, weighted by the importance score', () => {
    expect(paperErrorModel().error(0, 3)).toBe(1 / 8);
    expect(noiseErrorModel().error(5, 3)).toBe(1 / 64);
    expect(paperErrorModel().weightByScore).toBe(true);
    expect(errorModel('noise').name).toBe('noise');
  });

  it('has continuous slopes that match finite differences', () => {
    for (const model of [paperErrorModel(), noiseErrorModel()]) {
      const h = 1e-6;
      const b = 3.3;
      const numeric = (model.continuous(0, b + h).value - model.continuous(0, b - h).value) / (2 * h);
      expect(model.continuous(0, b).slope).toBeCloseTo(numeric, 8);
      expect(model.continuous(0, 4).value).toBe(model.error(0, 4));
    }
  });
});

describe('measured error model', () => {
  const table = { candidates: [2, 4, 8], errors: [[0.16, 0.01, 0.0001], [5, 4, 0]] };

  it('looks candidate widths up per layer and is not weighted by score by default', () => {
    const model = measuredErrorModel(table);
    expect(model.error(0, 4)).toBe(0.01);
    expect(model.error(1, 8)).toBe(0);
    expect(model.weightByScore).toBe(false);
    expect(measuredErrorModel(table, { weightByScore: true }).weightByScore).toBe(true);
    expect(() => model.error(0, 3)).toThrow(/no entry for 3 bits/);
  });

  it('interpolates geometrically between widths, linearly towards a zero', () => {
    const model = measuredErrorModel(table);
    expect(model.continuous(0, 3).value).toBeCloseTo(Math.sqrt(0.16 * 0.01), 12);
    expect(model.continuous(1, 6).value).toBeCloseTo(2, 12);
    const h = 1e-6;
    const numeric = (model.continuous(0, 3 + h).value - model.continuous(0, 3 - h).value) / (2 * h);
    expect(model.continuous(0, 3).slope).toBeCloseTo(numeric, 8);
  });

  it('rejects a malformed table and a missing one', () => {
    expect(() => measuredErrorModel({ candidates: [2, 4], errors: [[1]] })).toThrow(/layer 0 has 1 entries for 2 candidate widths/);
    expect(() => measuredErrorModel({ candidates: [2], errors: [[-1]] })).toThrow(/invalid error -1/);
    expect(() => errorModel('measured')).toThrow(/needs a measured error table/);
    expect(() => errorModel('logits')).toThrow(/needs a table of logit errors/);
  });

  it('reads a table of logit errors under its own name, unweighted by score', () => {
    const model = errorModel('logits', table);
    expect(model.name).toBe('logits');
    expect(model.weightByScore).toBe(false);
    expect(model.error(1, 4)).toBe(4);
  });
});

describe('measuredErrorTable', () => {
  it('computes ||WX - Q(W)X||^2 on a hand-worked 2-bit example', () => {
    // W = [0.3, -0.7] (one output channel): range [-0.7, 0.3], s = 1/3, z = round(2.1) = 2.
    // Q(0.3) = s(round(0.9)+2-2) = 1/3; Q(-0.7) = s(round(-2.1)+2-2) = -2/3; dW = [-1/30, -1/30].
    // X rows [1, 1] and [2, -1]: dW.x = -1/15 and -1/30; error = 1/225 + 1/900 = 1/180.
    const result = measuredErrorTable(
      [{ weight: new Float32Array([0.3, -0.7]), layout: 'NxK', inFeatures: 2, outFeatures: 1, input: new Float32Array([1, 1, 2, -1]), rows: 2 }],
      [2],
    );
    expect(result.errors[0][0]).toBeCloseTo(1 / 180, 6);
  });

  it('agrees between the direct and Gram paths, and between KxN and NxK layouts', () => {
    const rnd = seeded(3);
    const k = 6;
    const n = 4;
    const rows = 9;
    const nxk = randomArray(n * k, rnd);
    const kxn = new Float32Array(k * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) kxn[j * n + i] = nxk[i * k + j];
    const input = randomArray(rows * k, rnd);
    const candidates = [2, 3, 4, 8];
    const layer = { weight: nxk, layout: 'NxK' as const, inFeatures: k, outFeatures: n, input, rows };
    const direct = measuredErrorTable([layer], candidates, { method: 'direct' }).errors[0];
    const viaGram = measuredErrorTable([layer], candidates, { method: 'gram' }).errors[0];
    const transposed = measuredErrorTable([{ ...layer, weight: kxn, layout: 'KxN' }], candidates).errors[0];
    direct.forEach((e, i) => {
      expect(viaGram[i]).toBeCloseTo(e, 10);
      expect(transposed[i]).toBeCloseTo(e, 10);
    });
    // More bits, less error (2 vs 8 bits differ by orders of magnitude on random data).
    expect(direct[3]).toBeLessThan(direct[0] / 100);
  });

  it('names the layer whose input has the wrong size', () => {
    expect(() =>
      measuredErrorTable([{ weight: new Float32Array(4), layout: 'NxK', inFeatures: 2, outFeatures: 2, input: new Float32Array(5), rows: 2 }], [4]),
    ).toThrow(/layer 0 input has 5 values, expected 2 rows x 2/);
  });
});
