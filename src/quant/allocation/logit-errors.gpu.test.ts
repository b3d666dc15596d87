import { describe, expect, it } from 'vitest';
import { GpuModel } from '../../engine/session.ts';
import { gpuForTests } from '../../gpu/testing.ts';
import { decodeModel } from '../../onnx/decode.ts';
import type { Model } from '../../onnx/ir.ts';
import { quantGpuOps, quantReferenceOps } from '../simulation/fake-quant-op.ts';
import { centredLogits, jointLogitErrors, logitErrorTable } from './logit-errors.ts';
import { quantizableLayers } from '../layers.ts';
import { quantizeModel } from '../pipeline/quantize.ts';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { fakeQuantWeight, weightParams } from '../simulation/simulate.ts';

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };
const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const pixels = Float32Array.from(ref.inputs['3']);
const images = { pixels, count: 3, dims: [3, 3, 32, 32] };

async function logitsOf(m: Model): Promise<Float32Array> {
  const g = new GpuModel(await gpuForTests(), m, OPS);
  try {
    return (await g.run({ pixel_values: pixels }, 3)).outputs.logits.data as Float32Array;
  } finally {
    g.dispose();
  }
}

/** The definition, from whole-model runs: mean over images of the squared change of the centred logits. */
function centredError(a: Float32Array, b: Float32Array, count: number): number {
  const per = a.length / count;
  let sum = 0;
  for (let m = 0; m < count; m++) {
    let ma = 0;
    let mb = 0;
    for (let j = 0; j < per; j++) {
      ma += a[m * per + j] / per;
      mb += b[m * per + j] / per;
    }
    for (let j = 0; j < per; j++) sum += (a[m * per + j] - ma - (b[m * per + j] - mb)) ** 2;
  }
  return sum / count;
}

describe('logit error table', () => {
  it('equals whole-model runs with one layer rounded, for every layer and width', async () => {
    const ctx = await gpuForTests();
    const dims = model.graph.inputs[0].shape!.slice(1).map(Number);
    expect([3, ...dims]).toEqual(images.dims);
    const layers = quantizableLayers(model);
    const candidates = [2, 4, 8];
    const steps: number[] = [];
    const table = await logitErrorTable(ctx, OPS, model, layers, images, candidates, { onStep: (d, t) => steps.push(d / t) });
    expect(steps).toHaveLength(layers.length * candidates.length);
    expect(steps[steps.length - 1]).toBe(1);
    const fp = await logitsOf(model);
    for (const [l, layer] of layers.entries()) {
      const weight = model.graph.initializers.get(layer.weight)!;
      for (const [c, bits] of candidates.entries()) {
        const initializers = new Map(model.graph.initializers);
        initializers.set(layer.weight, { ...weight, data: fakeQuantWeight(layer, weight, weightParams(layer, weight, bits)) });
        const want = centredError(await logitsOf({ ...model, graph: { ...model.graph, initializers } }), fp, 3);
        expect(table.errors[l][c], `${layer.name} at ${bits} bits`).toBeCloseTo(want, 9);
        expect(Math.abs(table.errors[l][c] - want)).toBeLessThanOrEqual(1e-5 * want + 1e-12);
      }
      // Coarser rounding moves the logits more, on every layer of this fixture.
      expect(table.errors[l][0], layer.name).toBeGreaterThan(table.errors[l][2]);
    }
  });

  it('does not centre a single output: a sigmoid head counts its whole change', async () => {
    const ctx = await gpuForTests();
    // The same detector with one output, the logit of class 1 against class 0: z = l1 - l0.
    const head = quantizableLayers(model).at(-1)!;
    const w = model.graph.initializers.get(head.weight)!;
    const b = model.graph.initializers.get(head.bias!)!;
    expect(w.dims).toEqual([2, head.inFeatures]);
    const k = head.inFeatures;
    const wData = w.data as Float32Array;
    const bData = b.data as Float32Array;
    const initializers = new Map(model.graph.initializers);
    initializers.set(head.weight, { ...w, dims: [1, k], data: Float32Array.from({ length: k }, (_, i) => wData[k + i] - wData[i]) });
    initializers.set(head.bias!, { ...b, dims: [1], data: Float32Array.of(bData[1] - bData[0]) });
    const single: Model = { ...model, graph: { ...model.graph, initializers, outputs: [{ ...model.graph.outputs[0], shape: ['batch_size', 1] }] } };
    const layers = quantizableLayers(single);
    const candidates = [2, 4];
    const [one, two] = [await logitErrorTable(ctx, OPS, single, layers, images, candidates), await logitErrorTable(ctx, OPS, model, quantizableLayers(model), images, candidates)];
    for (const [l, layer] of layers.entries()) {
      for (const c of candidates.keys()) {
        expect(one.errors[l][c], layer.name).toBeGreaterThan(0);
        // Two centred logits carry (Δz/2)² each; the single output carries Δz².
        if (layer.name !== head.name) expect(Math.abs(one.errors[l][c] - 2 * two.errors[l][c]), layer.name).toBeLessThanOrEqual(1e-3 * one.errors[l][c]);
      }
    }
  });

  it('measures a whole simulated model jointly as whole-model runs do', async () => {
    const ctx = await gpuForTests();
    const layers = quantizableLayers(model);
    const initializers = new Map(model.graph.initializers);
    for (const layer of layers) {
      const weight = model.graph.initializers.get(layer.weight)!;
      initializers.set(layer.weight, { ...weight, data: fakeQuantWeight(layer, weight, weightParams(layer, weight, 3)) });
    }
    const rounded = { ...model, graph: { ...model.graph, initializers } };
    const want = centredError(await logitsOf(rounded), await logitsOf(model), 3);
    expect(want).toBeGreaterThan(0);
    const [joint, none] = await jointLogitErrors(ctx, OPS, await centredLogits(ctx, OPS, model, images), [rounded, model], images);
    expect(joint).toBeCloseTo(want, 9);
    expect(none).toBe(0);
  });

  it('drives the default allocation, with progress over every variant, and cancels cleanly inside it', async () => {
    const ctx = await gpuForTests();
    const calibration = [{ pixels, count: 3 }];
    const layers = quantizableLayers(model);
    const seen: number[] = [];
    const settings = { ...DEFAULT_SETTINGS, avgBits: 5, errorImages: 3, veft: false };
    const { report } = await quantizeModel(ctx, model, { calibration }, settings, {
      reconstruct: async ({ weight }) => weight,
      onProgress: (e) => e.stage === 'allocate' && seen.push(e.total),
    });
    expect(report.allocation?.error).toBe('logits');
    expect(report.avgBits).toBeLessThanOrEqual(5);
    // 'auto' weight ranges: every variant is measured with min/max and with MSE ranges.
    expect(Math.max(...seen)).toBe(2 * layers.length * settings.candidates.length + 1);
    // Checked jointly against uniform 4 bits (the widest that fits 5 b/w here): the one kept moves the logits less.
    const joint = /the logits move ([\d.e+-]+) at these widths, ([\d.e+-]+) at uniform (\d) bits/.exec(report.allocation!.detail);
    expect(joint, report.allocation!.detail).not.toBeNull();
    const [ours, uniform] = [Number(joint![1]), Number(joint![2])];
    if (ours > uniform) expect(report.layers.every((l) => l.bits === Number(joint![3]))).toBe(true);
    else expect(new Set(report.layers.map((l) => l.bits)).size).toBeGreaterThan(1);

    const controller = new AbortController();
    const cancelled = await quantizeModel(ctx, model, { calibration }, settings, {
      reconstruct: async ({ weight }) => weight,
      signal: controller.signal,
      onProgress: (e) => e.stage === 'allocate' && e.step === 5 && controller.abort(),
    });
    expect(cancelled.report.cancelled).toBe(true);
    expect(cancelled.report.completed).toEqual(['calibrate', 'score']);
    expect(cancelled.report.layers.every((l) => l.bits === 32)).toBe(true);
  });
});
