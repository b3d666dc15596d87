import { describe, expect, it } from 'vitest';
import { matmulReference, relativeError } from './matmul.ts';

describe('matmulReference', () => {
  it('multiplies a 2x3 by a 3x2', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const b = Float32Array.from([7, 8, 9, 10, 11, 12]);
    expect([...matmulReference(a, b, { M: 2, K: 3, N: 2 })]).toEqual([58, 64, 139, 154]);
  });

  it('reads a transposed B and adds the bias', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const bT = Float32Array.from([7, 9, 11, 8, 10, 12]);
    const out = matmulReference(a, bT, { M: 2, K: 3, N: 2, transB: true }, Float32Array.from([1, -1]));
    expect([...out]).toEqual([59, 63, 140, 153]);
  });

  it('broadcasts a shared B over the batch', () => {
    const a = Float32Array.from([1, 0, 0, 1, 2, 0, 0, 2]);
    const b = Float32Array.from([1, 2, 3, 4]);
    const out = matmulReference(a, b, { M: 2, K: 2, N: 2, batch: 2, broadcastB: true });
    expect([...out]).toEqual([1, 2, 3, 4, 2, 4, 6, 8]);
  });

  it('rejects empty shapes', () => {
    expect(() => matmulReference(new Float32Array(), new Float32Array(), { M: 0, K: 1, N: 1 })).toThrow(/M must be/);
  });

  it('relativeError reports NaN as infinitely wrong', () => {
    expect(relativeError(Float32Array.from([NaN, 1]), Float32Array.from([1, 1]))).toBe(Infinity);
    expect(relativeError(Float32Array.from([1.5, 2]), Float32Array.from([1, 2]))).toBeCloseTo(0.25);
  });
});
