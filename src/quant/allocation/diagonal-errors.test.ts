import { describe, expect, it } from 'vitest';
import { randomFloats } from '../../gpu/testing.ts';
import type { QuantLayer } from '../../model/layers.ts';
import { diagonalErrorTable } from './diagonal-errors.ts';
import { measuredErrorTable } from './error-models.ts';

describe("the 'diagonal' error model", () => {
  it("is the layer's measured output error when its input channels are uncorrelated, in either weight layout", () => {
    const [K, N] = [24, 10];
    // Rows that each excite one channel: X = diag(a), so the cross-channel terms vanish.
    const a = Array.from({ length: K }, (_, k) => 0.2 + 0.1 * k);
    const x = new Float32Array(K * K);
    a.forEach((v, k) => (x[k * K + k] = v));
    const w = randomFloats(N * K, 7);
    const transposed = new Float32Array(K * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) transposed[k * N + n] = w[n * K + k];
    const energy = new Map([['l', Float64Array.from(a)]]);
    const measured = measuredErrorTable([{ weight: w, layout: 'NxK', inFeatures: K, outFeatures: N, input: x, rows: K }], [2, 4, 8]);
    for (const [layout, data, dims] of [['NxK', w, [N, K]], ['KxN', transposed, [K, N]]] as const) {
      const layer = { name: 'l', layout, inFeatures: K, outFeatures: N } as QuantLayer;
      const table = diagonalErrorTable([layer], () => ({ name: 'w', dtype: 'float32', dims: [...dims], data }), energy, [2, 4, 8], 'minmax');
      table.errors[0].forEach((e, i) => expect(e / measured.errors[0][i], `${layout} at ${[2, 4, 8][i]} bits`).toBeCloseTo(1, 6));
    }
    // Fewer bits, more error.
    const row = measured.errors[0];
    expect(row[0]).toBeGreaterThan(row[1]);
    expect(row[1]).toBeGreaterThan(row[2]);
  });
});
