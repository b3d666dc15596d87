import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/decode.ts';
import { clsAttention, compareBlocks, cosineSimilarity, difference, meanMap, patchGrid, whyNoClsMap } from './attention-maps.ts';
import { analyzeModel } from './summary.ts';

const fixture = (name: string) => analyzeModel(decodeModel(new Uint8Array(readFileSync(new URL(`../../tools/fixtures/${name}`, import.meta.url)))));

/** [batch 2, heads 2, tokens 5 (cls + 2x2 patches)], each value encoding where it sits. */
function probs(offset = 0) {
  const dims = [2, 2, 5, 5];
  const data = new Float32Array(2 * 2 * 5 * 5);
  for (let b = 0; b < 2; b++) for (let h = 0; h < 2; h++) for (let q = 0; q < 5; q++) for (let k = 0; k < 5; k++) {
    data[((b * 2 + h) * 5 + q) * 5 + k] = 1000 * b + 100 * h + 10 * q + k + offset;
  }
  return { dims, data };
}

describe('CLS attention maps', () => {
  it('take row 0 of each head, skipping the prefix tokens, as a patch grid', () => {
    const a = clsAttention(probs(), 1, 1);
    expect(a).toMatchObject({ heads: 2, rows: 2, cols: 2 });
    expect(Array.from(a.maps[0])).toEqual([1001, 1002, 1003, 1004]);
    expect(Array.from(a.maps[1])).toEqual([1101, 1102, 1103, 1104]);
  });

  it('skip a distillation token too', () => {
    const t = { dims: [1, 1, 6, 6], data: Float32Array.from({ length: 36 }, (_, i) => i) };
    expect(Array.from(clsAttention(t, 0, 2).maps[0])).toEqual([2, 3, 4, 5]);
  });

  it('name what is wrong with a tensor they cannot read', () => {
    expect(() => clsAttention({ dims: [1, 5, 5], data: [] }, 0, 1)).toThrow(/\[batch, heads, tokens, tokens\]/);
    expect(() => clsAttention(probs(), 2, 1)).toThrow(/outside the batch of 2/);
    expect(() => clsAttention({ dims: [1, 1, 4, 4], data: new Float32Array(16) }, 0, 1)).toThrow(/3 patch tokens do not form a square grid/);
    expect(() => patchGrid(0)).toThrow(/square grid/);
  });
});

describe('similarity', () => {
  it('is 1 for maps of the same shape, 0 for disjoint ones, in between otherwise', () => {
    expect(cosineSimilarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([1, 1], [1, 0])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(cosineSimilarity([0, 0], [0, 0])).toBe(1);
  });

  it('compares every block per head and for the head mean', () => {
    const fp = new Map([['p0', probs()]]);
    const q = new Map([['p0', probs(5)]]);
    const [block] = compareBlocks([{ name: 'blocks.0', probs: 'p0' }], fp, q, 0, 1);
    expect(block.block).toBe('blocks.0');
    expect(block.similarity).toHaveLength(2);
    const want = cosineSimilarity([1, 2, 3, 4], [6, 7, 8, 9]);
    expect(block.similarity[0]).toBeCloseTo(want, 6);
    expect(block.meanSimilarity).toBeCloseTo(cosineSimilarity(meanMap(block.fp.maps), meanMap(block.quantized.maps)), 12);
    expect(Array.from(difference(block.quantized.maps[0], block.fp.maps[0]))).toEqual([5, 5, 5, 5]);
    expect(() => compareBlocks([{ name: 'b', probs: 'missing' }], fp, q, 0, 1)).toThrow(/block b: the attention probabilities missing/);
  });
});

describe('which models have a CLS attention map', () => {
  it('ViT and DeiT do; Swin says why it does not', () => {
    expect(whyNoClsMap(fixture('vit_tiny_op17.onnx'))).toBeNull();
    expect(whyNoClsMap(fixture('deit_tiny_distilled_op13.onnx'))).toBeNull();
    expect(whyNoClsMap(fixture('swin_tiny_op17.onnx'))).toMatch(/no CLS token: Swin attends within shifted windows/);
  });

  it('a model without prepended tokens or attention says so', () => {
    expect(whyNoClsMap({ swin: null, tokens: [], blocks: [] })).toMatch(/no learned token is prepended/);
    expect(whyNoClsMap({ swin: null, tokens: ['cls'], blocks: [{ attention: [] }] })).toMatch(/No attention softmax/);
  });
});
