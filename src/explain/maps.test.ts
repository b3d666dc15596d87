import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/decode.ts';
import { denseGradientMap, denseRawAttention, denseRollout } from './dense-reference.ts';
import { referenceAttentionGradients } from './gradients.ts';
import { explainImage, type RelevanceMap } from './maps.ts';
import { denseModelFor, FIXTURE_SPECS as SPECS, referenceCapture } from './testing.ts';
import type { TensorLike } from './windows.ts';

const fixture = (name: string) => decodeModel(new Uint8Array(readFileSync(new URL(`../../tools/fixtures/${name}`, import.meta.url))));
const inputs = (name: string) => (JSON.parse(readFileSync(new URL(`../../tools/fixtures/${name}`, import.meta.url), 'utf8')) as { inputs: Record<string, number[]> }).inputs['3'];

function expectClose(got: RelevanceMap, want: Float64Array, what: string): void {
  expect(got.values.length, what).toBe(want.length);
  const scale = Math.max(...want.map(Math.abs));
  got.values.forEach((v, i) => expect(Math.abs(v - want[i]), `${what} cell ${i}`).toBeLessThan(1e-12 * scale + 1e-15));
}

/** One opset per family here; the GPU test takes the other. */
const OPSETS: Record<string, number> = { vit_tiny: 13, deit_tiny_distilled: 17, hf_vit_tiny: 13, swin_tiny: 17, hf_swin_tiny: 13 };

for (const [family, spec] of Object.entries(SPECS)) {
  const name = `${family}_op${OPSETS[family]}`;
  describe(`maps of ${name} from float64 taps`, () => {
    const model = fixture(`${name}.onnx`);
    const capture = referenceCapture(model, inputs(`${name}.ref.json`), 3);
    const { layout, taps } = capture;
    const dense = denseModelFor(spec, capture);

    it('find the grids, windows and shifts the model was built with', () => {
      expect(layout.stages.map(({ rows, cols }) => ({ rows, cols }))).toEqual(spec.stages);
      if (spec.windows) expect(layout.cores.map((c) => (c.kind === 'windows' ? { stage: c.stage, window: c.window, shift: c.shift } : null))).toEqual(spec.windows);
      else expect(layout.cores.every((c) => c.kind === 'tokens' && c.prefix === spec.prefix)).toBe(true);
      expect(layout.readout).toEqual(spec.readout);
    });

    it('raw attention, per block and head, equals the dense reference', () => {
      for (let image = 0; image < 3; image++) {
        const e = explainImage(layout, taps, image, 'attention');
        e.blocks.forEach((block, b) => {
          const heads = denseRawAttention(dense, image, b);
          block.heads.forEach((h, k) => expectClose(h, heads[k], `${block.label} head ${k}`));
          expectClose(block.map, heads[0].map((_, j) => heads.reduce((s, h) => s + h[j], 0) / heads.length), `${block.label} mean`);
        });
        expect(e.model).toBe(e.blocks[e.blocks.length - 1].map);
      }
    });

    it('rollout, up to every block, equals the dense product of residual-aware matrices', () => {
      for (let image = 0; image < 3; image++) {
        const e = explainImage(layout, taps, image, 'rollout');
        e.blocks.forEach((block, b) => {
          expect([block.map.rows, block.map.cols]).toEqual([spec.stages[0].rows, spec.stages[0].cols]);
          expectClose(block.map, denseRollout(dense, image, b), `${block.label} rollout`);
        });
      }
      // Rollout keeps the readout's mass: what is not on the patches stayed on the prepended tokens.
      const total = explainImage(layout, taps, 1, 'rollout').model.values.reduce((s, v) => s + v, 0);
      if (spec.prefix === 0) expect(total).toBeCloseTo(1, 12);
      else expect(total).toBeLessThan(1);
    });

    it('gradient-weighted attribution, given gradients, equals the dense (I + mean(grad ⊙ A)⁺) product', () => {
      const gradients = new Map<string, TensorLike>(layout.cores.map((c, b) => {
        const p = taps(c.probs);
        return [c.probs, { dims: p.dims, data: Float64Array.from(p.data, (_, i) => Math.sin(0.7 * i + b)) }];
      }));
      const e = explainImage(layout, taps, 2, 'gradient', (n) => gradients.get(n)!);
      const want = denseGradientMap(dense, 2, layout.cores.map((c) => gradients.get(c.probs)!));
      expectClose(e.model, want, 'gradient map');
      expect(() => explainImage(layout, taps, 0, 'gradient')).toThrow(/needs the gradients of the score/);
    });

    it('gradient × attention with the float64 gradients of the fake logit, up to every block, equals the dense reference', async () => {
      const probs = layout.cores.map((c) => c.probs);
      const gradients = await referenceAttentionGradients.attentionGradients(model, Float32Array.from(inputs(`${name}.ref.json`)), 3, probs, { output: model.graph.outputs[0].name, index: 1 });
      for (let image = 0; image < 3; image++) {
        const e = explainImage(layout, taps, image, 'gradient', (n) => gradients.get(n)!);
        e.blocks.forEach((block, b) => expectClose(block.map, denseGradientMap(dense, image, probs.map((p) => gradients.get(p)!), b), `${block.label} gradient × attention`));
        // The gradients reach every block: each adds relevance beyond the identity's.
        probs.forEach((p) => expect(Math.max(...Array.from(gradients.get(p)!.data, Math.abs)), p).toBeGreaterThan(0));
      }
    });
  });
}
