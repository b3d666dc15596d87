import { describe, expect, it } from 'vitest';
import { compareExplanations, differenceMap, ranks, relevanceOrder, spearman, topKFor, topKOverlap } from './compare.ts';
import type { Explanation, RelevanceMap } from './maps.ts';

const map = (values: number[], rows = 1): RelevanceMap => ({ rows, cols: values.length / rows, cellHeight: 8, cellWidth: 8, values: Float64Array.from(values) });

describe('rank agreement', () => {
  it('gives tied values their mean rank', () => {
    expect(Array.from(ranks([5, 6, 7, 8, 7]))).toEqual([1, 2, 3.5, 5, 3.5]);
  });

  it("is Spearman's rho: 1 for the same order at any scale, −1 reversed, with ties as scipy counts them", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 1000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 8 / sqrt(95)
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow(/2 and 3 patches/);
  });

  it('counts the top-k patches two maps share', () => {
    expect(relevanceOrder([0.1, 0.9, 0.5, 0.9])).toEqual([1, 3, 2, 0]);
    expect(topKOverlap([9, 8, 7, 0, 0, 0], [0, 8, 7, 9, 0, 0], 3)).toBeCloseTo(2 / 3, 12);
    expect(topKFor(16)).toBe(3);
    expect(topKFor(196)).toBe(20);
    expect(topKFor(2)).toBe(2);
  });
});

describe('FP against quantized explanations', () => {
  const explanation = (blocks: number[][]): Explanation => ({
    method: 'rollout', blocks: blocks.map((v, i) => ({ label: `blocks.${i}`, map: map(v, 2), heads: [] })), model: map(blocks[blocks.length - 1], 2),
  });

  it('agree block by block and for the whole model, labelled by the FP model', () => {
    const fp = explanation([[1, 2, 3, 4], [4, 3, 2, 1]]);
    const q = explanation([[1, 2, 3, 5], [1, 2, 3, 4]]);
    const c = compareExplanations(fp, q);
    expect(c.blocks.map((b) => b.label)).toEqual(['blocks.0', 'blocks.1']);
    expect(c.blocks[0].spearman).toBeCloseTo(1, 12);
    expect(c.blocks[1].spearman).toBeCloseTo(-1, 12);
    // FP's top 3 are cells 0, 1, 2; the quantized model's 3, 2, 1.
    expect(c.model).toMatchObject({ topK: 3, topKOverlap: 2 / 3 });
    expect(c.model.spearman).toBeCloseTo(-1, 12);
    expect(Array.from(differenceMap(fp.model, q.model).values)).toEqual([-3, -1, 1, 3]);
  });

  it('refuse models whose blocks or grids differ', () => {
    expect(() => compareExplanations(explanation([[1, 2, 3, 4]]), explanation([[1, 2, 3, 4], [1, 2, 3, 4]]))).toThrow(/1 attention blocks and the quantized one 2/);
    expect(() => differenceMap(map([1, 2, 3, 4], 2), map([1, 2, 3, 4, 5, 6], 2))).toThrow(/2×2 map cannot be compared with a 2×3/);
  });
});
