import { describe, expect, it } from 'vitest';
import { GpuModel } from '../../engine/session.ts';
import { gpuForTests, randomFloats } from '../../gpu/testing.ts';
import { decodeModel } from '../../onnx/decode.ts';
import type { Model } from '../../onnx/ir.ts';
import { runReference } from '../../engine/cpu/executor.ts';
import { onnxOps } from '../../onnx/ops/index.ts';
import { activationStatsNode, samplePosition } from './activation-stats-op.ts';
import { calibrate } from './calibrate.ts';
import { quantGpuOps, quantReferenceOps } from '../simulation/fake-quant-op.ts';
import { ChannelEnergy } from '../allocation/importance.ts';
import { RangeObserver } from './observers.ts';
import { quantizableLayers } from '../layers.ts';

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };
const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const pixels = Float32Array.from(ref.inputs['3']);

/** x [rows, channels] → the stats node's three outputs. */
function statsModel(channels: number, samples: number): Model {
  return {
    irVersion: 8, opsets: [{ domain: '', version: 17 }, { domain: 'ai.defakeq', version: 1 }], producerName: '', producerVersion: '', metadata: {},
    graph: {
      name: 'stats', initializers: new Map(), valueInfo: new Map(),
      nodes: [activationStatsNode('stats', 'x', ['range', 'energy', 'sample'], { channels, samples, seed: 77 })],
      inputs: [{ name: 'x', dtype: 'float32', shape: ['rows', channels] }],
      outputs: ['range', 'energy', 'sample'].map((name) => ({ name, dtype: 'float32' as const, shape: null })),
    },
  };
}

describe('activation statistics on the GPU', () => {
  it('gives the reference min/max and sample exactly and its channel energies to float32 accuracy', async () => {
    const ctx = await gpuForTests();
    for (const [rows, channels, samples] of [[1000, 48, 4096], [37, 5, 10_000], [2500, 3, 1]] as const) {
      const x = randomFloats(rows * channels, rows);
      const m = statsModel(channels, samples);
      const g = new GpuModel(ctx, m, OPS);
      const gpu = (await g.run({ x }, rows)).outputs;
      g.dispose();
      const cpu = runReference(m, { x: { dtype: 'float32', dims: [rows, channels], data: Float64Array.from(x) } }, { ops: { ...onnxOps, ...quantReferenceOps } }).outputs;
      const label = `${rows}x${channels}, ${samples} samples`;
      expect(Array.from(gpu.range.data), label).toEqual(Array.from(cpu.range.data));
      expect(Array.from(gpu.sample.data), label).toEqual(Array.from(cpu.sample.data, Math.fround));
      expect(gpu.sample.data.length, label).toBe(Math.min(samples, rows * channels));
      gpu.energy.data.forEach((v, c) => expect(Math.abs(v - cpu.energy.data[c]) / cpu.energy.data[c], `${label} channel ${c}`).toBeLessThan(1e-5));
    }
  });

  it('samples one value from each of K equal runs, every value when K covers them', () => {
    const positions = Array.from({ length: 100 }, (_, j) => samplePosition(j, 1234, 100, 5));
    positions.forEach((p, j) => {
      expect(p).toBeGreaterThanOrEqual(Math.floor((j * 1234) / 100));
      expect(p).toBeLessThan(Math.floor(((j + 1) * 1234) / 100));
    });
    expect(Array.from({ length: 50 }, (_, j) => samplePosition(j, 50, 50, 9))).toEqual(Array.from({ length: 50 }, (_, j) => j));
  });

  it('calibration gathers what the layer inputs read back would give, without reading them back', async () => {
    const ctx = await gpuForTests();
    const layers = quantizableLayers(model);
    const fp = new GpuModel(ctx, model, OPS);
    const batches = [{ pixels, count: 3 }, { pixels: pixels.map((v) => -0.5 * v), count: 3 }];
    const result = await calibrate(fp, layers, batches, { seed: 3 });
    const taps = await Promise.all(batches.map(async (b) => (await fp.run({ pixel_values: b.pixels }, 3, { taps: layers.map((l) => l.input) })).taps));
    fp.dispose();
    for (const l of layers.filter((x) => x.kind !== 'conv')) {
      const values = taps.map((t) => t.get(l.input)!.data as Float32Array);
      const all = new RangeObserver(1 << 16, 1);
      const energy = new ChannelEnergy(l.inFeatures);
      for (const v of values) {
        all.add(v);
        energy.add(v, v.length / l.inFeatures);
      }
      const got = result.ranges.get(l.input)!;
      expect([got.min, got.max], l.name).toEqual([all.min, all.max]);
      // These tensors are smaller than the reservoir's share: every value is kept, so the ranges are the same.
      for (const method of ['percentile', 'mse'] as const) expect(got.params(6, method), `${l.name} ${method}`).toEqual(all.params(6, method));
      const want = energy.values(6);
      result.energy.get(l.name)!.forEach((v, c) => expect(Math.abs(v - want[c]) / want[c], `${l.name} channel ${c}`).toBeLessThan(1e-5));
    }
    expect(result.inputs.size).toBe(0);
  });

  it('gives the same statistics when each batch runs in pieces of one image', async () => {
    const ctx = await gpuForTests();
    const layers = quantizableLayers(model);
    const fp = new GpuModel(ctx, model, OPS);
    const batches = [{ pixels, count: 3 }];
    const whole = await calibrate(fp, layers, batches, { seed: 3 });
    const run = GpuModel.prototype.run;
    const sizes: number[] = [];
    GpuModel.prototype.run = function (inputs, batch, options) {
      sizes.push(batch);
      return run.call(this, inputs, batch, options);
    };
    const pieces = await calibrate(fp, layers, batches, { seed: 3, valueBytes: 1 }).finally(() => (GpuModel.prototype.run = run));
    expect(sizes).toEqual([1, 1, 1]);
    fp.dispose();
    for (const [tap, r] of whole.ranges) {
      const p = pieces.ranges.get(tap)!;
      expect([p.min, p.max], tap).toEqual([r.min, r.max]);
      expect(p.params(6, 'percentile'), tap).toEqual(r.params(6, 'percentile'));
    }
    for (const [name, e] of whole.energy) pieces.energy.get(name)!.forEach((v, c) => expect(Math.abs(v - e[c]) / e[c], name).toBeLessThan(1e-5));
  });
});
