import { describe, expect, it } from 'vitest';
import type { GpuTensor } from '../engine/gpu-tensor.ts';
import { GpuModel } from '../engine/session.ts';
import { CommandBatch } from '../gpu/encoder.ts';
import { readFloat32 } from '../gpu/readback.ts';
import { gpuForTests, randomFloats } from '../gpu/testing.ts';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import type { RefTensor } from '../onnx/ops/types.ts';
import { blockBoundary } from './blocks.ts';
import { contrastiveReference, recordContrastive } from './contrastive.ts';
import { weightNxK } from './fixture-blocks.ts';
import { computeGradients, runProgram } from './gradients.ts';
import { squaredErrorReference, squaredErrorTerm } from './losses.ts';
import { OP_CASES } from './ops/test-cases.ts';
import { GradProgram } from './program.ts';
import { referenceBackward, referenceForward } from './reference.ts';
import { refOf } from './rule.ts';
import { oneNodeModel, randomSeeds, relativeError } from './testing.ts';

/* One file, so that the kernels compile once for every test (pipelines are cached per device). */
describe('every backward kernel on WebGPU against the float64 reference', () => {
  for (const k of OP_CASES) {
    it(k.name, async () => {
      const ctx = await gpuForTests();
      const { model, spec } = oneNodeModel(k.op, k.inputs, k.attrs, k.outputs, k.opset);
      const program = new GradProgram(ctx, model, spec);
      try {
        // The reference runs on the float32 values the GPU sees.
        const feeds: Record<string, RefTensor> = {};
        k.inputs.forEach((input, i) => input && !input.constant && (feeds[`x${i}`] = refOf(input.value.dims, Float64Array.from(Float32Array.from(input.value.data)))));
        const seeds = randomSeeds(program.region, k.name.length);
        const values = referenceForward(program.region, onnxOps, feeds);
        const want = referenceBackward(program.region, values, seeds);
        const got = await runProgram(ctx, program, {
          feeds: Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, Float32Array.from(t.data)])),
          seeds: Object.fromEntries([...seeds].map(([n, t]) => [n, Float32Array.from(t.data)])),
        });
        for (const name of spec.wrt ?? []) expect(relativeError(got.values.get(name)!, want.values.get(name)!.data), name).toBeLessThan(2e-5);
      } finally {
        program.dispose();
      }
    });
  }
});

const fetchModel = async (file: string) => decodeModel(new Uint8Array(await (await fetch(`/tools/fixtures/${file}`)).arrayBuffer()), { fileName: file });
const fetchPixels = async (file: string) => Float32Array.from(((await (await fetch(`/tools/fixtures/${file.replace(/\.onnx$/, '.ref.json')}`)).json()) as { inputs: Record<string, number[]> }).inputs['3']);

/** A block of every fixture family and opset: decomposed and fused LayerNorm, HF layouts, shifted Swin windows (GELU tanh: the op cases). */
const BLOCKS = [
  ['vit_tiny_op13.onnx', 'blocks.1'],
  ['vit_tiny_op17.onnx', 'blocks.0'],
  ['hf_vit_tiny_op13.onnx', 'vit.encoder.layer.0'],
  ['hf_vit_tiny_op17.onnx', 'vit.encoder.layer.1'],
  ['swin_tiny_op13.onnx', 'layers.0.blocks.1'],
  ['swin_tiny_op17.onnx', 'layers.1.blocks.1'],
  ['hf_swin_tiny_op13.onnx', 'swin.encoder.layers.0.blocks.1'],
  ['hf_swin_tiny_op17.onnx', 'swin.encoder.layers.1.blocks.1'],
] as const;

describe('whole blocks on WebGPU: input and weight gradients match the float64 reference', () => {
  for (const [file, block] of BLOCKS) {
    it(`${file} ${block}`, async () => {
      const ctx = await gpuForTests();
      const model = await fetchModel(file);
      const structure = analyzeModel(model);
      const names = structure.blocks.find((b) => b.name === block)!.layers;
      const layers = structure.layers.filter((l) => names.includes(l.name));
      const { inputs, outputs } = blockBoundary(model, block);
      // The block's real input for three images, from the engine.
      const whole = new GpuModel(ctx, model);
      const tap = (await whole.run({ [model.graph.inputs[0].name]: await fetchPixels(file) }, 3, { taps: inputs })).taps.get(inputs[0])!;
      whole.dispose();
      const spec = { inputs: [{ name: inputs[0], dims: tap.dims }], outputs, parameters: layers, wrt: [inputs[0]] };
      const program = new GradProgram(ctx, model, spec);
      try {
        const weights = new Map(layers.map((l) => [l.name, weightNxK(model, l)]));
        const weights32 = new Map([...weights].map(([n, w]) => [n, Float32Array.from(w)]));
        const feed = refOf(tap.dims, Float64Array.from(tap.data));
        const seeds = randomSeeds(program.region, 5);
        const values = referenceForward(program.region, onnxOps, { [inputs[0]]: feed }, weights);
        const want = referenceBackward(program.region, values, seeds, weights);
        const got = await runProgram(ctx, program, {
          feeds: { [inputs[0]]: tap.data as Float32Array }, weights: weights32,
          seeds: Object.fromEntries([...seeds].map(([n, t]) => [n, Float32Array.from(t.data)])),
        });
        expect(relativeError(got.outputs.get(outputs[0])!, values.get(outputs[0])!.data)).toBeLessThan(1e-4);
        expect(relativeError(got.values.get(inputs[0])!, want.values.get(inputs[0])!.data)).toBeLessThan(1e-3);
        for (const l of layers) expect(relativeError(got.parameters.get(l.name)!, want.parameters.get(l.name)!), l.name).toBeLessThan(1e-3);
      } finally {
        program.dispose();
      }
    });
  }
});

describe('whole models on WebGPU: d(logit)/d(attention probabilities)', () => {
  for (const file of ['vit_tiny_op17.onnx', 'swin_tiny_op13.onnx']) {
    it(`${file}: every block's probabilities, one logit, against the float64 reference`, async () => {
      const ctx = await gpuForTests();
      const model = await fetchModel(file);
      const probs = analyzeModel(model).attention.map((a) => a.probs);
      const input = model.graph.inputs[0].name;
      const logits = model.graph.outputs[0].name;
      const pixels = await fetchPixels(file);
      const spec = { inputs: [{ name: input, dims: [3, 3, 32, 32] }], outputs: [logits], wrt: probs };
      const seed = new Float32Array(6);
      [1, 3, 5].forEach((i) => (seed[i] = 1)); // d(fake logit) of each image
      const got = await computeGradients(ctx, model, spec, { feeds: { [input]: pixels }, seeds: { [logits]: seed } });
      const program = new GradProgram(ctx, model, spec);
      const values = referenceForward(program.region, onnxOps, { [input]: refOf([3, 3, 32, 32], Float64Array.from(pixels)) });
      const want = referenceBackward(program.region, values, new Map([[logits, refOf([3, 2], Float64Array.from(seed))]]));
      program.dispose();
      expect(probs.length).toBeGreaterThanOrEqual(2);
      for (const p of probs) expect(relativeError(got.values.get(p)!, want.values.get(p)!.data), p).toBeLessThan(1e-3);
      // No backward runs upstream of the first attention (the patch embedding's Conv has none).
      expect(program.region.backward.some((b) => b.node.opType === 'Conv')).toBe(false);
    });
  }
});

describe('loss kernels on WebGPU against the float64 reference', () => {
  it('VEFT\'s contrastive loss and its gradients (B = 5, D = 70)', async () => {
    const ctx = await gpuForTests();
    const B = 5, D = 70;
    const [anchors, pos1, pos2] = [1, 2, 3].map((s) => randomFloats(B * D, 40 + s));
    const want = contrastiveReference({ anchors, pos1, pos2, B, D, tau: 0.2, w: 0.25 });
    const up = (data: Float32Array): GpuTensor => ({ buffer: ctx.buffers.upload(data), dims: [B, D], dtype: 'f32' });
    const t = { anchors: up(anchors), pos1: up(pos1), pos2: up(pos2), d1: up(new Float32Array(B * D)), d2: up(new Float32Array(B * D)) };
    const scratch = ctx.buffers.acquire((3 * B * B + 2 * B) * 4);
    const loss = ctx.buffers.upload(new Float32Array(4));
    const cmd = new CommandBatch(ctx);
    recordContrastive(ctx, cmd, { ...t, scratch, loss, slot: 2 }, { tau: 0.2, w: 0.25, scale: 0.5 });
    cmd.submit();
    expect((await readFloat32(ctx, loss, 3))[2]).toBeCloseTo(0.5 * want.loss, 5);
    expect(relativeError(await readFloat32(ctx, t.d1.buffer, B * D), want.d1.map((g) => 0.5 * g))).toBeLessThan(1e-4);
    expect(relativeError(await readFloat32(ctx, t.d2.buffer, B * D), want.d2.map((g) => 0.5 * g))).toBeLessThan(1e-4);
    for (const b of [...Object.values(t).map((x) => x.buffer), scratch, loss]) ctx.buffers.release(b);
  });

  it('the squared error and its gradient, the seed of block reconstruction', async () => {
    const ctx = await gpuForTests();
    const dims = [3, 5, 8];
    const [y, target] = [randomFloats(120, 50), randomFloats(120, 51)];
    const want = squaredErrorReference(y, target, dims, 2);
    const term = squaredErrorTerm('y', { dims, data: target }, 2);
    const up = (data: Float32Array): GpuTensor => ({ buffer: ctx.buffers.upload(data), dims, dtype: 'f32' });
    const [yt, tt, g] = [up(y), up(target), up(new Float32Array(120))];
    const loss = ctx.buffers.upload(new Float32Array(2));
    const cmd = new CommandBatch(ctx);
    term.record(ctx, cmd, { values: [yt], data: [tt], grads: [g], t: 0, total: 1, loss: { buffer: loss, slot: 1 } });
    cmd.submit();
    expect((await readFloat32(ctx, loss, 2))[1]).toBeCloseTo(want.loss, 4);
    expect(relativeError(await readFloat32(ctx, g.buffer, 120), want.grad)).toBeLessThan(1e-6);
    for (const b of [yt.buffer, tt.buffer, g.buffer, loss]) ctx.buffers.release(b);
  });
});
