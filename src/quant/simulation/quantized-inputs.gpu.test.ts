import { describe, expect, it } from 'vitest';
import { GpuModel } from '../../engine/session.ts';
import { gpuForTests } from '../../gpu/testing.ts';
import { blockOf } from '../../model/summary.ts';
import { decodeModel } from '../../onnx/decode.ts';
import { fakeQuantActivations } from './fake-quant.ts';
import { quantGpuOps, quantReferenceOps } from './fake-quant-op.ts';
import { quantizableLayers } from '../layers.ts';
import { quantizeModel } from '../pipeline/quantize.ts';
import type { Reconstructor } from '../reconstruction/types.ts';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { QuantizedInputs } from './quantized-inputs.ts';
import { simulatedModel } from './simulate.ts';

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };
const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const pixels = Float32Array.from(ref.inputs['3']);

/** Every layer's input in one whole run of the float model. */
async function floatInputs(ctx: Awaited<ReturnType<typeof gpuForTests>>, rounded: typeof model, layers: ReturnType<typeof quantizableLayers>) {
  const float = new GpuModel(ctx, rounded, OPS);
  try {
    return (await float.run({ pixel_values: pixels }, 3, { taps: layers.map((l) => l.input) })).taps;
  } finally {
    float.dispose();
  }
}

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('quantized reconstruction inputs, block after block', () => {
  it('equal a whole-model run of the model quantized so far, through the layer\'s activation quantizer, for every layer', async () => {
    const ctx = await gpuForTests();
    const seen = new Map<string, Float32Array>();
    // A stand-in for learned rounding that visibly changes every layer, so each block's inputs differ from FP.
    const reconstruct: Reconstructor = async ({ layer, weight, xIn }) => {
      seen.set(layer.name, Float32Array.from(xIn.data));
      return weight.map((v, i) => v * (0.8 + 0.01 * (i % 7)));
    };
    const { plan, model: rounded } = await quantizeModel(ctx, model, { calibration: [{ pixels, count: 3 }] }, {
      ...DEFAULT_SETTINGS, method: 'adaround', candidates: [4], avgBits: 10, actBits: 6, reconImages: 3,
    }, { reconstruct });
    // The run quantizes its float16-rounded float model (floatParams), so the reference runs that one.
    const layers = quantizableLayers(model);
    const groups = [...new Set(layers.map((l) => blockOf(l.name) || l.name))];
    let compared = 0;
    for (const [g, group] of groups.entries()) {
      const upstream = layers.filter((l) => groups.indexOf(blockOf(l.name) || l.name) < g);
      const whole = new GpuModel(ctx, simulatedModel(rounded, upstream, plan), OPS);
      const members = layers.filter((l) => (blockOf(l.name) || l.name) === group);
      const { taps } = await whole.run({ pixel_values: pixels }, 3, { taps: members.map((l) => l.input) });
      whole.dispose();
      for (const l of members.filter((m) => m.kind !== 'conv')) {
        const act = plan.activations?.get(l.input);
        expect(act, l.name).toBeDefined();
        const want = fakeQuantActivations(taps.get(l.input)!.data as Float32Array, act!);
        const got = seen.get(l.name)!;
        expect(got.length, l.name).toBe(want.length);
        let worst = 0;
        got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]))));
        expect(worst, l.name).toBe(0);
        compared++;
      }
    }
    // Every matmul layer (a Conv's rows are unfolded patches, tested in the pipeline's tests).
    expect(compared).toBe(layers.filter((l) => l.kind !== 'conv').length);
  });

  it("with reconInputs 'fp', are the float model's, through the layer's activation quantizer, for every layer", async () => {
    const ctx = await gpuForTests();
    const seen = new Map<string, Float32Array>();
    const reconstruct: Reconstructor = async ({ layer, weight, xIn, xFp }) => {
      expect(xFp).toBe(xIn);
      seen.set(layer.name, Float32Array.from(xIn.data));
      return weight.map((v, i) => v * (0.8 + 0.01 * (i % 7)));
    };
    const { plan, model: rounded } = await quantizeModel(ctx, model, { calibration: [{ pixels, count: 3 }] }, {
      ...DEFAULT_SETTINGS, method: 'adaround', candidates: [4], avgBits: 10, actBits: 6, reconImages: 3, reconInputs: 'fp',
    }, { reconstruct });
    const layers = quantizableLayers(model);
    const taps = await floatInputs(ctx, rounded, layers);
    for (const l of layers.filter((m) => m.kind !== 'conv')) {
      const want = fakeQuantActivations(taps.get(l.input)!.data as Float32Array, plan.activations!.get(l.input)!);
      const got = seen.get(l.name)!;
      expect(got.length, l.name).toBe(want.length);
      expect(largestDifference(got, want), l.name).toBe(0);
    }
  });
  it.each(['quantized', 'fp'] as const)("with reconTargets 'float' and %s inputs, the targets' inputs are the float model's own (no activation quantizer), the rounding's through the quantizer", async (reconInputs) => {
    const ctx = await gpuForTests();
    const seen = new Map<string, { xIn: Float32Array; xFp: Float32Array }>();
    const reconstruct: Reconstructor = async ({ layer, weight, xIn, xFp }) => {
      seen.set(layer.name, { xIn: Float32Array.from(xIn.data), xFp: Float32Array.from(xFp.data) });
      return weight.map((v, i) => v * (0.8 + 0.01 * (i % 7)));
    };
    const { model: rounded } = await quantizeModel(ctx, model, { calibration: [{ pixels, count: 3 }] }, {
      ...DEFAULT_SETTINGS, method: 'adaround', candidates: [4], avgBits: 10, actBits: 6, reconImages: 3, reconInputs, reconTargets: 'float',
    }, { reconstruct });
    const layers = quantizableLayers(model);
    const taps = await floatInputs(ctx, rounded, layers);
    for (const l of layers.filter((m) => m.kind !== 'conv')) {
      const want = taps.get(l.input)!.data as Float32Array;
      const { xIn, xFp } = seen.get(l.name)!;
      expect(xFp.length, l.name).toBe(want.length);
      expect(largestDifference(xFp, want), l.name).toBe(0);
      expect(new Set(xIn).size, l.name).toBeLessThanOrEqual(64);
      expect(new Set(xFp).size, l.name).toBeGreaterThan(64);
    }
  });

  it.each(['vit_tiny_op13', 'swin_tiny_op17'])('hold about one block of values on %s, run no layer more than twice, and still equal a whole run', async (name) => {
    const ctx = await gpuForTests();
    const m = decodeModel(new Uint8Array(await (await fetch(`/tools/fixtures/${name}.onnx`)).arrayBuffer()));
    const input = m.graph.inputs[0].name;
    const images = { pixels, count: 3, dims: [3, 3, 32, 32] };
    const layers = quantizableLayers(m);
    const groups = [...new Set(layers.map((l) => blockOf(l.name) || l.name))].map((g) => layers.filter((l) => (blockOf(l.name) || l.name) === g));
    const whole = new GpuModel(ctx, m, OPS);
    const { taps: want } = await whole.run({ [input]: pixels }, 3, { taps: layers.map((l) => l.input) });
    whole.dispose();
    // As the reconstruction uses it: each block's inputs, then the block's layers change.
    const values = new QuantizedInputs(ctx, OPS, input, images, { keepShared: true });
    for (const [g, members] of groups.entries()) {
      const got = await values.taps(m, members.map((l) => l.input));
      for (const l of members) expect(largestDifference(got.get(l.input)!.data as Float32Array, want.get(l.input)!.data as Float32Array), l.name).toBe(0);
      const spent = groups.slice(0, Math.max(0, g - 1)).flat().map((l) => l.input).filter((t) => t !== input);
      expect(values.held.filter((t) => spent.includes(t)), `after ${members[0].name}`).toEqual([]);
      values.invalidate(m, members.map((l) => l.node));
    }
    // Each layer runs with its block and once more after the block changed: never again from the pixels.
    for (const l of layers) expect(values.timesRun.get(l.node.outputs[0]) ?? 0, l.name).toBeLessThanOrEqual(2);
    expect(values.timesRun.get(layers[0].node.outputs[0])).toBeGreaterThan(0);
  });
});
