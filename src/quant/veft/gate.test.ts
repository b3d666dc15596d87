import { describe, expect, it } from 'vitest';
import type { QuantLayer } from '../../model/layers.ts';
import { countsFor, gateRuns, prefixLengths, rankedByValue, restoredActivations } from './gate.ts';

const layer = (name: string, input: string) => ({ name, input }) as QuantLayer;

describe('VEFT\'s measured activations: the choices', () => {
  it('ranks the activations that helped by benefit per stored bit, dropping those that did not', () => {
    const ranked = rankedByValue([
      { tensor: 'a', benefit: 0.5, cost: 100 },
      { tensor: 'b', benefit: -0.1, cost: 10 },
      { tensor: 'c', benefit: 0.2, cost: 10 },
      { tensor: 'd', benefit: 0, cost: 10 },
      { tensor: 'e', benefit: 0.1, cost: 5 },
    ]);
    expect(ranked).toEqual(['c', 'e', 'a']);
  });

  it('tries the first 1, 2, 4, ... and all ranked activations', () => {
    expect(prefixLengths(0)).toEqual([]);
    expect(prefixLengths(1)).toEqual([1]);
    expect(prefixLengths(7)).toEqual([1, 2, 4, 7]);
    expect(prefixLengths(8)).toEqual([1, 2, 4, 8]);
    expect(gateRuns(8)).toBe(2 + 8 + 4 + 1);
  });

  it('keeps each layer\'s count only where it reads a chosen activation', () => {
    const layers = [layer('q', 'x'), layer('k', 'x'), layer('proj', 'y'), layer('fc1', 'z')];
    expect(countsFor([2, 2, 1, 3], layers, new Set(['x', 'z']))).toEqual([2, 2, 0, 3]);
    expect(restoredActivations([2, 2, 0, 3], layers)).toEqual(['x', 'z']);
  });
});
