import { describe, expect, it } from 'vitest';
import { ChannelEnergy, layerImportance } from './importance.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('ChannelEnergy (eq. 2)', () => {
  it('accumulates squares over batches and normalises by the image count', () => {
    // Two images of two tokens and three channels, fed as two batches.
    const energy = new ChannelEnergy(3);
    energy.add(new Float32Array([1, 2, 0, 3, 0, 1]), 2);
    energy.add(new Float32Array([0, 2, 2, 1, 0, 0]), 2);
    const a = energy.values(2);
    // channel 0: 1+9+0+1 = 11; channel 1: 4+0+4+0 = 8; channel 2: 0+1+4+0 = 5
    expect(a[0]).toBeCloseTo(Math.sqrt(11 / 2), 12);
    expect(a[1]).toBeCloseTo(2, 12);
    expect(a[2]).toBeCloseTo(Math.sqrt(5 / 2), 12);
  });

  it('gives the same values whether rows arrive together or one at a time', () => {
    const rnd = seeded(7);
    const x = Float32Array.from({ length: 6 * 5 }, () => rnd() * 2 - 1);
    const whole = new ChannelEnergy(5);
    whole.add(x, 6);
    const split = new ChannelEnergy(5);
    for (let r = 0; r < 6; r++) split.add(x.subarray(r * 5, r * 5 + 5), 1);
    expect(Array.from(split.values(3))).toEqual(Array.from(whole.values(3)));
  });

  it('rejects a batch whose size does not match rows x channels, and a zero image count', () => {
    const energy = new ChannelEnergy(4);
    expect(() => energy.add(new Float32Array(7), 2)).toThrow(/expected 2 x 4 = 8 values, got 7/);
    expect(() => energy.values(0)).toThrow(/image count must be positive/);
    expect(() => new ChannelEnergy(0)).toThrow(/positive integer/);
  });
});

describe('layerImportance (eq. 3-4)', () => {
  it('is the mean of |W_ij| A_j on a hand-computed example', () => {
    // out x in = 2 x 3: [[1, -2, 0], [0.5, 1, -1]], A = [2, 1, 3]
    // sum = 1*2 + 2*1 + 0*3 + 0.5*2 + 1*1 + 1*3 = 9, mean over 6 = 1.5
    const w = new Float32Array([1, -2, 0, 0.5, 1, -1]);
    expect(layerImportance(w, 'NxK', 3, 2, [2, 1, 3])).toBeCloseTo(1.5, 12);
  });

  it('gives the same score for a KxN weight and its NxK transpose', () => {
    const rnd = seeded(11);
    const k = 7;
    const n = 5;
    const nxk = Float32Array.from({ length: n * k }, () => rnd() * 2 - 1);
    const kxn = new Float32Array(k * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) kxn[j * n + i] = nxk[i * k + j];
    const a = Array.from({ length: k }, () => rnd() * 3);
    const fromNxK = layerImportance(nxk, 'NxK', k, n, a);
    expect(layerImportance(kxn, 'KxN', k, n, a)).toBeCloseTo(fromNxK, 12);
    // Reading the KxN weight as NxK pairs weights with the wrong channels: a different score.
    expect(Math.abs(layerImportance(kxn, 'NxK', k, n, a) - fromNxK)).toBeGreaterThan(1e-6);
  });

  it('scores a conv weight [out, cin, kh, kw] over its flattened patch columns', () => {
    // out = 1, cin = 2, 2x1 kernel: W = [[[1],[-3]], [[2],[0]]]; column energies A over (c, y, x).
    const w = new Float32Array([1, -3, 2, 0]);
    const a = [1, 2, 0.5, 4];
    // (1*1 + 3*2 + 2*0.5 + 0*4) / 4 = 2
    expect(layerImportance(w, 'NxK', 2 * 2 * 1, 1, a)).toBeCloseTo(2, 12);
  });

  it('names the mismatch when shapes disagree', () => {
    expect(() => layerImportance(new Float32Array(6), 'NxK', 3, 2, [1, 1])).toThrow(/channel energy has 2 values, expected 3/);
    expect(() => layerImportance(new Float32Array(5), 'KxN', 3, 2, [1, 1, 1])).toThrow(/weight has 5 values/);
    expect(() => layerImportance(new Float32Array(6), 'MxN' as never, 3, 2, [1, 1, 1])).toThrow(/unknown weight layout/);
  });
});
