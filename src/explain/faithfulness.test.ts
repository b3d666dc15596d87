import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeProbability } from '../data/metrics.ts';
import { runReference } from '../engine/cpu/executor.ts';
import { decodeModel } from '../onnx/decode.ts';
import { relevanceOrder } from './compare.ts';
import { curveArea, faithfulness, resampleMap, type Scorer } from './faithfulness.ts';
import { referenceAttentionGradients } from './gradients.ts';
import { tapReader } from './capture.ts';
import { explainImage, type RelevanceMap } from './maps.ts';
import { referenceCapture } from './testing.ts';

/** tools/make_explain_fixture.py: a ViT whose fake logit follows its brightest patch alone. */
const dir = new URL('../../tools/fixtures/explain/', import.meta.url);
const model = decodeModel(new Uint8Array(readFileSync(new URL('one_patch_vit.onnx', dir))));
const meta = JSON.parse(readFileSync(new URL('one_patch_vit.json', dir), 'utf8')) as { patch: number; logits: Record<string, number[]> };
const SIZE: [number, number] = [32, 32];

/** A black image (−1, normalised) with one white patch (1) at (row, col), as the fixture script's probe. */
function probe(row: number, col: number): Float32Array {
  const x = new Float32Array(3 * 32 * 32).fill(-1);
  for (let c = 0; c < 3; c++) for (let y = row * 8; y < row * 8 + 8; y++) for (let x0 = col * 8; x0 < col * 8 + 8; x0++) x[c * 1024 + y * 32 + x0] = 1;
  return x;
}

const logitsOf = (pixels: Float32Array, count: number) => {
  const out = runReference(model, { pixel_values: { dtype: 'float32', dims: [count, 3, 32, 32], data: Float64Array.from(pixels) } }).outputs.logits.data;
  return Array.from({ length: count }, (_, i) => [out[2 * i], out[2 * i + 1]]);
};
const score: Scorer = async (pixels, count) => logitsOf(pixels, count).map((l) => fakeProbability(l, 1));

describe('a model whose decision rests on one patch', () => {
  it('runs as PyTorch ran it', () => {
    const [a, b] = logitsOf(new Float32Array([...probe(2, 1), ...probe(0, 3)]), 2);
    [...a, ...b].forEach((v, i) => expect(Math.abs(v - [...meta.logits['2,1'], ...meta.logits['0,3']][i])).toBeLessThan(1e-4));
  });

  for (const [row, col] of [[2, 1], [0, 3]]) {
    const known = row * 4 + col;
    it(`has maps and faithfulness curves that rank its white patch (${row}, ${col}) first`, async () => {
      const pixels = probe(row, col);
      // Ground truth by occlusion: greying the white patch flips the decision, greying any other patch does nothing.
      const occluded = Array.from({ length: 16 }, (_, cell) => {
        const x = Float32Array.from(pixels);
        for (let c = 0; c < 3; c++) for (let y = 0; y < 8; y++) x.fill(0, c * 1024 + (Math.floor(cell / 4) * 8 + y) * 32 + (cell % 4) * 8, c * 1024 + (Math.floor(cell / 4) * 8 + y) * 32 + (cell % 4) * 8 + 8);
        return x;
      });
      const base = (await score(pixels, 1))[0];
      const drops = (await score(new Float32Array(occluded.flatMap((x) => Array.from(x))), 16)).map((s) => base - s);
      expect(relevanceOrder(drops)[0]).toBe(known);
      expect(drops[known]).toBeGreaterThan(0.5);

      const { layout, taps } = referenceCapture(model, pixels, 1);
      const probs = layout.cores.map((c) => c.probs);
      const gradients = tapReader(await referenceAttentionGradients.attentionGradients(model, pixels, 1, probs, { output: 'logits', index: 1 }));
      for (const method of ['rollout', 'attention', 'gradient'] as const) {
        const map = explainImage(layout, taps, 0, method, gradients).model;
        expect(relevanceOrder(map.values)[0], method).toBe(known);
        const f = await faithfulness(map, layout.stages[0], pixels, SIZE, score);
        expect(f.order[0]).toBe(known);
        expect(f.deletion.fractions).toHaveLength(17);
        // Deleting the first patch takes the fake score from near 1 to below a half; no later step moves it as much.
        const delSteps = f.deletion.scores.slice(1).map((s, i) => f.deletion.scores[i] - s);
        expect(f.deletion.scores[0]).toBeGreaterThan(0.99);
        expect(f.deletion.scores[1]).toBeLessThan(0.5);
        expect(relevanceOrder(delSteps)[0]).toBe(0);
        // Inserting it first into the grey image brings the score back.
        expect(f.insertion.scores[0]).toBeLessThan(0.5);
        expect(f.insertion.scores[1]).toBeGreaterThan(0.99);
        // The reversed map, least relevant first, is far less faithful on both curves.
        const reversed: RelevanceMap = { ...map, values: map.values.map((v) => -v) };
        const r = await faithfulness(reversed, layout.stages[0], pixels, SIZE, score);
        expect(f.deletion.auc).toBeLessThan(r.deletion.auc - 0.5);
        expect(f.insertion.auc).toBeGreaterThan(r.insertion.auc + 0.5);
      }
    });
  }
});

describe('curve helpers', () => {
  it('integrate by trapezoids and resample coarse maps onto the patch grid', () => {
    expect(curveArea([0, 0.5, 1], [1, 0, 0])).toBeCloseTo(0.25, 12);
    const coarse: RelevanceMap = { rows: 2, cols: 2, cellHeight: 16, cellWidth: 16, values: Float64Array.from([1, 2, 3, 4]) };
    const fine = resampleMap(coarse, { rows: 4, cols: 4, cellHeight: 8, cellWidth: 8 });
    expect(Array.from(fine.values)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('leave out cells of a padded grid that lie outside the image, and take fewer steps than patches when asked', async () => {
    const grid = { rows: 3, cols: 3, cellHeight: 4, cellWidth: 4 }; // covers 12×12 of a 10×6 image: column 2 is padding
    const map: RelevanceMap = { ...grid, values: Float64Array.from([9, 8, 7, 6, 5, 4, 3, 2, 1]) };
    const image = new Float32Array(3 * 10 * 6).fill(1);
    const calls: number[] = [];
    const f = await faithfulness(map, grid, image, [10, 6], async (px, n) => (calls.push(n), Array.from({ length: n }, (_, i) => px.subarray(i * 180, (i + 1) * 180).reduce((a, v) => a + v, 0) / 180)), { steps: 3, batch: 4 });
    expect(f.order).toEqual([0, 1, 3, 4, 6, 7]);
    expect(f.deletion.fractions).toEqual([0, 2 / 6, 4 / 6, 1]);
    // The mean pixel falls as cells are zeroed: 4×4, 4×2 (clipped), then the last rows' 2×4 and 2×2.
    expect(f.deletion.scores.map((s) => Math.round(s * 60))).toEqual([60, 36, 12, 0]);
    expect(calls).toEqual([4, 4]);
  });
});
