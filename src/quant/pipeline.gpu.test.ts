import { describe, expect, it } from 'vitest';
import { runReference } from '../engine/cpu/executor.ts';
import { GpuModel } from '../engine/session.ts';
import { gpuForTests, randomFloats } from '../gpu/testing.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { Model } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { buildModel, valueInfo } from '../onnx/testing.ts';
import { fakeQuantNode, quantGpuOps, quantReferenceOps } from './fake-quant-op.ts';
import { DEFAULT_SETTINGS, quantizeModel, type QuantizeSettings } from './pipeline.ts';
import { paramsForRange } from './quantizer.ts';

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };
const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const calibration = [
  { pixels: Float32Array.from(ref.inputs['3']), count: 3 },
  { pixels: Float32Array.from(ref.inputs['1']), count: 1 },
];
const evaluation = [{ pixels: Float32Array.from(ref.inputs['3']), count: 3, isFake: [true, false, true] }];
const settings = (over: Partial<QuantizeSettings>): QuantizeSettings => ({ ...DEFAULT_SETTINGS, method: 'rtn', ...over });

async function logitsOf(m: Model): Promise<Float32Array> {
  const g = new GpuModel(await gpuForTests(), m, OPS);
  try {
    return (await g.run({ pixel_values: calibration[0].pixels }, 3)).outputs.logits.data as Float32Array;
  } finally {
    g.dispose();
  }
}

describe('activation fake quantization', () => {
  it('matches the CPU quantizer on the GPU', async () => {
    const p = paramsForRange(-0.7, 1.3, 5);
    const m = buildModel({
      nodes: [fakeQuantNode('fq', 'x', 'y', p)],
      inputs: [valueInfo('x', ['N', 257])],
      outputs: [valueInfo('y', ['N', 257])],
    });
    m.opsets.push({ domain: 'ai.defakeq', version: 1 });
    const x = randomFloats(2 * 257, 9).map((v) => v * 1.5);
    const g = new GpuModel(await gpuForTests(), m, OPS);
    const got = (await g.run({ x }, 2)).outputs.y.data;
    g.dispose();
    const want = runReference(m, { x: { dtype: 'float32', dims: [2, 257], data: Float64Array.from(x) } }, { ops: { ...onnxOps, ...quantReferenceOps } }).outputs.y.data;
    let mismatches = 0;
    got.forEach((v, i) => {
      if (Math.abs(v - want[i]) > 1e-6) {
        mismatches++;
        // Only a value at a rounding tie may land one level apart (f32 division is not exact in WGSL).
        expect(Math.abs(v - want[i])).toBeLessThanOrEqual(p.scale * 1.0001);
      }
    });
    expect(mismatches).toBeLessThanOrEqual(2);
  });
});

describe('the quantization pipeline on a fixture', () => {
  it('at 8 bits keeps the model close to FP, and reports every layer', async () => {
    const ctx = await gpuForTests();
    const { report, simulated } = await quantizeModel(ctx, model, { calibration, evaluation }, settings({ candidates: [8], avgBits: 10, actBits: null }));
    expect(report.layers).toHaveLength(10);
    expect(report.layers.every((l) => l.bits === 8 && l.score > 0 && (l.sqnr ?? 0) > 25)).toBe(true);
    expect(report.avgBits).toBeLessThanOrEqual(10);
    expect(report.modelBytes).toBeLessThan(report.fpBytes / 2.5);
    expect(report.completed).toEqual(['calibrate', 'score', 'allocate', 'evaluate']);
    expect(report.evaluation?.agreement).toBe(1);
    const fp = await logitsOf(model);
    const q = await logitsOf(simulated);
    fp.forEach((v, i) => expect(Math.abs(v - q[i])).toBeLessThan(0.05));
  });

  it('hurts more at 2 bits with 4-bit activations', async () => {
    const ctx = await gpuForTests();
    const high = await quantizeModel(ctx, model, { calibration }, settings({ candidates: [8], avgBits: 10, actBits: 8 }));
    const low = await quantizeModel(ctx, model, { calibration }, settings({ candidates: [2], avgBits: 10, actBits: 4 }));
    const mean = (r: typeof high) => r.report.layers.reduce((s, l) => s + (l.sqnr ?? 0), 0) / r.report.layers.length;
    expect(mean(low)).toBeLessThan(mean(high) - 10);
  });

  it('allocates mixed widths under the budget with the importance scores', async () => {
    const ctx = await gpuForTests();
    const { report } = await quantizeModel(ctx, model, { calibration }, settings({ method: 'defakeq', solver: 'exact', error: 'measured', avgBits: 5 }), {
      reconstruct: async ({ weight }) => weight, // learned rounding is tested with its own kernels
    });
    expect(report.avgBits).toBeLessThanOrEqual(5);
    expect(new Set(report.layers.map((l) => l.bits)).size).toBeGreaterThan(1);
    expect(report.allocation?.solver).toBe('exact');
    expect(report.allocation?.averageBits).toBeCloseTo(report.avgBits, 6);
  });

  it('cancelled mid-run, returns what it finished and a usable model', async () => {
    const ctx = await gpuForTests();
    const controller = new AbortController();
    const { report, simulated } = await quantizeModel(ctx, model, { calibration, evaluation }, settings({ candidates: [4], avgBits: 10 }), {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.stage === 'evaluate') controller.abort();
      },
    });
    expect(report.cancelled).toBe(true);
    expect(report.completed).toEqual(['calibrate', 'score', 'allocate']);
    expect(report.layers.every((l) => l.bits === 4)).toBe(true);
    const q = await logitsOf(simulated);
    expect(q.every(Number.isFinite)).toBe(true);
  });

  it('cancelled during calibration, leaves the float model', async () => {
    const ctx = await gpuForTests();
    const controller = new AbortController();
    controller.abort();
    const { report, simulated } = await quantizeModel(ctx, model, { calibration }, settings({}), { signal: controller.signal });
    expect(report.cancelled).toBe(true);
    expect(report.completed).toEqual([]);
    expect(simulated).toBe(model);
  });
});
