import { describe, expect, it } from 'vitest';
import { constantStore } from '../../engine/constants.ts';
import { GpuModel } from '../../engine/session.ts';
import { gpuForTests } from '../../gpu/testing.ts';
import { decodeModel } from '../../onnx/decode.ts';
import { elementCount } from '../../onnx/ir.ts';
import { quantGpuOps, quantReferenceOps } from './fake-quant-op.ts';
import { layerSqnr } from '../evaluation/evaluate.ts';
import { quantizableLayers } from '../layers.ts';
import { fakeQuantWeight, simulatedModel, weightParams, type SimulationPlan } from './simulate.ts';

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };
const fixture = async (name: string) => decodeModel(new Uint8Array(await (await fetch(`/tools/fixtures/${name}`)).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const pixels = Float32Array.from(ref.inputs['3']);

describe('the simulated model on the GPU', () => {
  it('rebuilds every quantized weight from its codes exactly as the CPU quantizer rounds it, in both layouts and for a conv', async () => {
    const ctx = await gpuForTests();
    for (const name of ['vit_tiny_op17.onnx']) {
      const model = await fixture(name);
      const layers = quantizableLayers(model);
      expect(new Set(layers.map((l) => l.layout)).size, name).toBeGreaterThan(1);
      const plan: SimulationPlan = { layers: new Map(layers.map((l, i) => [l.name, { bits: 2 + (i % 7), range: i % 2 ? 'mse' : 'minmax' }])) };
      const simulated = simulatedModel(model, layers, plan);
      const g = new GpuModel(ctx, simulated, OPS);
      try {
        const { taps } = await g.run({ [model.graph.inputs[0].name]: pixels }, 3, { taps: layers.map((l) => `${l.weight}::dequantized`) });
        for (const l of layers) {
          const q = plan.layers.get(l.name)!;
          const w = model.graph.initializers.get(l.weight)!;
          const want = fakeQuantWeight(l, w, weightParams(l, w, q.bits, q.range));
          const got = taps.get(`${l.weight}::dequantized`)!.data;
          expect(got.length, l.name).toBe(want.length);
          expect(want.filter((v, i) => !Object.is(v, got[i])).length, `${name} ${l.name}: values that differ`).toBe(0);
        }
      } finally {
        g.dispose();
      }
    }
  });

  it('shares the float model\'s buffers for what it does not quantize and holds one byte per quantized weight', async () => {
    const ctx = await gpuForTests();
    const store = constantStore(ctx);
    const model = await fixture('vit_tiny_op17.onnx');
    const layers = quantizableLayers(model);
    const weights = layers.reduce((s, l) => s + elementCount(model.graph.initializers.get(l.weight)!.dims), 0);
    const before = store.bytes;
    const fp = new GpuModel(ctx, model, OPS);
    await fp.run({ pixel_values: pixels }, 3);
    const fpBytes = store.bytes - before;
    const simulated = new GpuModel(ctx, simulatedModel(model, layers, { layers: new Map(layers.map((l) => [l.name, { bits: 4 }])) }), OPS);
    const out = await simulated.run({ pixel_values: pixels }, 3);
    const added = store.bytes - before - fpBytes;
    // Codes (a byte a weight) and a scale and zero point per channel, padded: far less than the float weights again.
    expect(added).toBeGreaterThanOrEqual(weights);
    expect(added).toBeLessThan(weights * 1.2);
    expect(Array.from(out.outputs.logits.data).every(Number.isFinite)).toBe(true);
    fp.dispose();
    // The shared tensors stay while the simulated model holds them; everything goes with the last model.
    expect(store.bytes - before).toBeGreaterThan(added);
    simulated.dispose();
    expect(store.bytes).toBe(before);
  });

  it('measures each layer\'s SQNR in one paired run as the two models\' outputs read back would give it', async () => {
    const ctx = await gpuForTests();
    const model = await fixture('vit_tiny_op17.onnx');
    const layers = quantizableLayers(model);
    const plan: SimulationPlan = { layers: new Map(layers.map((l, i) => [l.name, { bits: 3 + (i % 4) }])) };
    const fp = new GpuModel(ctx, model, OPS);
    const q = new GpuModel(ctx, simulatedModel(model, layers, plan), OPS);
    const sqnr = await layerSqnr(fp, q, layers, { pixels, count: 3 });
    const taps = layers.map((l) => l.output);
    const a = (await fp.run({ pixel_values: pixels }, 3, { taps })).taps;
    const b = (await q.run({ pixel_values: pixels }, 3, { taps })).taps;
    fp.dispose();
    q.dispose();
    for (const l of layers) {
      const x = a.get(l.output)!.data;
      const y = b.get(l.output)!.data;
      let signal = 0;
      let noise = 0;
      x.forEach((v, i) => ((signal += v * v), (noise += (v - y[i]) ** 2)));
      expect(Math.abs(sqnr.get(l.name)! - 10 * Math.log10(signal / noise)), l.name).toBeLessThan(1e-3);
    }
  });
});
