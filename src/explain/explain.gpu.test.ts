/**
 * Every map method on the GPU against the float64 reference: the engine's tapped attention, turned
 * into maps by src/explain, equals the dense reference computed from the CPU executor's float64
 * taps, with the geometry the fixtures were built with.
 */
import { describe, expect, it } from 'vitest';
import { GpuModel } from '../engine/session.ts';
import { gpuForTests } from '../gpu/testing.ts';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import { denseGradientMap, denseRawAttention, denseRollout } from './dense-reference.ts';
import { explainImages } from './explain.ts';
import { captureAttention } from './capture.ts';
import { explainImage, type RelevanceMap } from './maps.ts';
import { gpuAttentionGradients, referenceAttentionGradients } from './gradients.ts';
import { denseModelFor, FIXTURE_SPECS, referenceCapture } from './testing.ts';

const fetchModel = async (file: string) => decodeModel(new Uint8Array(await (await fetch(`/tools/fixtures/${file}`)).arrayBuffer()));
const fetchInputs = async (file: string) => Float32Array.from(((await (await fetch(`/tools/fixtures/${file}`)).json()) as { inputs: Record<string, number[]> }).inputs['3']);

/** The opsets the unit test (maps.test.ts) does not take. */
const FILES: Record<string, string> = { vit_tiny: 'vit_tiny_op17', deit_tiny_distilled: 'deit_tiny_distilled_op13', swin_tiny: 'swin_tiny_op13', hf_swin_tiny: 'hf_swin_tiny_op17' };

function expectNear(got: RelevanceMap, want: Float64Array, what: string, tolerance = 2e-5): void {
  expect(got.values.length, what).toBe(want.length);
  got.values.forEach((v, i) => expect(Math.abs(v - want[i]), `${what} cell ${i}`).toBeLessThan(tolerance));
}

describe('maps on the GPU match the float64 reference', () => {
  for (const [family, file] of Object.entries(FILES)) {
    it(`${file}: raw attention per head, rollout per block, and gradient × attention`, async () => {
      const model = await fetchModel(`${file}.onnx`);
      const pixels = await fetchInputs(`${file}.ref.json`);
      const spec = FIXTURE_SPECS[family];
      const reference = referenceCapture(model, pixels, 3);
      const dense = denseModelFor(spec, reference);
      const gpu = { gpu: new GpuModel(await gpuForTests(), model), structure: analyzeModel(model) };
      try {
        const captured = await captureAttention(gpu.gpu, gpu.structure, pixels, 3);
        const ctx = await gpuForTests();
        const weighted = await explainImages(gpu, null, pixels, 3, { method: 'gradient', fakeIndex: 1, capabilities: { gradients: gpuAttentionGradients(ctx) } });
        // The float64 reference: the CPU executor's attention, and src/grad's float64 backward pass for d(fake logit)/d(attention).
        const probs = reference.layout.cores.map((c) => c.probs);
        const grads64 = await referenceAttentionGradients.attentionGradients(model, pixels, 3, probs, { output: model.graph.outputs[0].name, index: 1 });
        for (let image = 0; image < 3; image++) {
          explainImage(captured.layout, captured.taps, image, 'attention').blocks.forEach((block, b) => {
            denseRawAttention(dense, image, b).forEach((want, h) => expectNear(block.heads[h], want, `image ${image} ${block.label} head ${h}`));
          });
          explainImage(captured.layout, captured.taps, image, 'rollout').blocks.forEach((block, b) => expectNear(block.map, denseRollout(dense, image, b), `image ${image} ${block.label} rollout`));
          weighted[image].fp.explanation.blocks.forEach((block, b) => {
            const want = denseGradientMap(dense, image, probs.map((p) => grads64.get(p)!), b);
            // Gradients are float32 sums over the whole backward pass: relative to the map's largest value.
            expect(Math.max(...want.map(Math.abs)), `${block.label}: a map with something to compare`).toBeGreaterThan(1e-6);
            expectNear(block.map, want, `image ${image} ${block.label} gradient × attention`, 1e-4 * Math.max(...want.map(Math.abs)));
          });
          // The logits the maps came with are the reference executor's too.
          captured.logits[image].forEach((v, k) => expect(Math.abs(v - reference.logits[image][k])).toBeLessThan(1e-3));
        }
      } finally {
        gpu.gpu.dispose();
      }
    });
  }
});
