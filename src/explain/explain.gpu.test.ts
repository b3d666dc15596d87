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
import type { AttentionGradientSource } from './methods.ts';
import { denseModelFor, FIXTURE_SPECS, referenceCapture } from './testing.ts';
import type { TensorLike } from './windows.ts';

const fetchModel = async (file: string) => decodeModel(new Uint8Array(await (await fetch(`/tools/fixtures/${file}`)).arrayBuffer()));
const fetchInputs = async (file: string) => Float32Array.from(((await (await fetch(`/tools/fixtures/${file}`)).json()) as { inputs: Record<string, number[]> }).inputs['3']);

/** The opsets the unit test (maps.test.ts) does not take. */
const FILES: Record<string, string> = { vit_tiny: 'vit_tiny_op17', deit_tiny_distilled: 'deit_tiny_distilled_op13', swin_tiny: 'swin_tiny_op13', hf_swin_tiny: 'hf_swin_tiny_op17' };

function expectNear(got: RelevanceMap, want: Float64Array, what: string): void {
  expect(got.values.length, what).toBe(want.length);
  got.values.forEach((v, i) => expect(Math.abs(v - want[i]), `${what} cell ${i}`).toBeLessThan(2e-5));
}

describe('maps on the GPU match the float64 reference', () => {
  for (const [family, file] of Object.entries(FILES)) {
    it(`${file}: raw attention per head, rollout per block, and gradient-weighted maps given gradients`, async () => {
      const model = await fetchModel(`${file}.onnx`);
      const pixels = await fetchInputs(`${file}.ref.json`);
      const spec = FIXTURE_SPECS[family];
      const reference = referenceCapture(model, pixels, 3);
      const dense = denseModelFor(spec, reference);
      const gpu = { gpu: new GpuModel(await gpuForTests(), model), structure: analyzeModel(model) };
      const tapped = new Map<string, TensorLike>();
      // A stand-in for the backward layer, with gradients that vary by position: what is tested is the wiring and the weighting.
      const gradients: AttentionGradientSource = {
        async attentionGradients(_m, _p, batch, probs) {
          for (const name of probs) {
            const dims = reference.taps(name).dims;
            tapped.set(name, { dims, data: Float64Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(0.3 * i)) });
          }
          expect(batch).toBe(3);
          return tapped;
        },
      };
      try {
        const captured = await captureAttention(gpu.gpu, gpu.structure, pixels, 3);
        const weighted = await explainImages(gpu, null, pixels, 3, { method: 'gradient', fakeIndex: 1, capabilities: { gradients } });
        for (let image = 0; image < 3; image++) {
          explainImage(captured.layout, captured.taps, image, 'attention').blocks.forEach((block, b) => {
            denseRawAttention(dense, image, b).forEach((want, h) => expectNear(block.heads[h], want, `image ${image} ${block.label} head ${h}`));
          });
          explainImage(captured.layout, captured.taps, image, 'rollout').blocks.forEach((block, b) => expectNear(block.map, denseRollout(dense, image, b), `image ${image} ${block.label} rollout`));
          const grads = reference.layout.cores.map((c) => tapped.get(c.probs)!);
          expectNear(weighted[image].fp.explanation.model, denseGradientMap(dense, image, grads), `image ${image} gradient map`);
          // The logits the maps came with are the reference executor's too.
          captured.logits[image].forEach((v, k) => expect(Math.abs(v - reference.logits[image][k])).toBeLessThan(1e-3));
        }
      } finally {
        gpu.gpu.dispose();
      }
    });
  }
});
