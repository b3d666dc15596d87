/** The pipeline with floatParams 'fp16': it quantizes the float16-rounded model, against the input model's FP baseline. */
import { describe, expect, it } from 'vitest';
import { GpuModel } from '../../engine/session.ts';
import { gpuForTests } from '../../gpu/testing.ts';
import { decodeModel } from '../../onnx/decode.ts';
import { quantGpuOps, quantReferenceOps } from './fake-quant-op.ts';
import { halfFloatModel } from './half-floats.ts';
import { quantizeModel } from '../pipeline/quantize.ts';
import { DEFAULT_SETTINGS, type QuantizeSettings } from '../settings.ts';
import { score } from '../evaluation/evaluate.ts';

const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const calibration = [{ pixels: Float32Array.from(ref.inputs['3']), count: 3 }];
const evaluation = [{ pixels: Float32Array.from(ref.inputs['3']), count: 3, isFake: [true, false, true] }];
const settings = (floatParams: 'fp16' | 'fp32'): QuantizeSettings => ({ ...DEFAULT_SETTINGS, method: 'rtn', candidates: [4], avgBits: 10, floatParams });

describe('quantizing with float16 float parameters', () => {
  it('returns the rounded float model, simulates on it, charges 16-bit biases and keeps the input model as the FP baseline', async () => {
    const ctx = await gpuForTests();
    const half = await quantizeModel(ctx, model, { calibration, evaluation }, settings('fp16'));
    const full = await quantizeModel(ctx, model, { calibration, evaluation }, settings('fp32'));
    const rounded = halfFloatModel(model);
    for (const { name } of rounded.rounded) {
      expect(Array.from(half.model.graph.initializers.get(name)!.data as Float32Array), name).toEqual(Array.from(rounded.model.graph.initializers.get(name)!.data as Float32Array));
      expect(full.model.graph.initializers.get(name)).toBe(model.graph.initializers.get(name));
    }
    expect(half.report.halfFloats).toEqual({ tensors: rounded.rounded.length, values: rounded.rounded.reduce((s, t) => s + t.count, 0), kept: [] });
    expect(full.report.halfFloats).toBeUndefined();
    // Same widths; the float16 run stores fewer bits per weight and fewer bytes.
    expect(half.report.layers.map((l) => l.bits)).toEqual(full.report.layers.map((l) => l.bits));
    expect(half.report.avgBits).toBeLessThan(full.report.avgBits);
    expect(half.report.modelBytes).toBeLessThan(full.report.modelBytes);
    // The FP baseline is the input model's; the quantized model is the rounded one's.
    expect(half.report.evaluation!.fp).toEqual(full.report.evaluation!.fp);
    const fp = new GpuModel(ctx, model, { reference: quantReferenceOps, gpu: quantGpuOps });
    try {
      const { logits: _l, ...scores } = await score(fp, evaluation);
      expect(half.report.evaluation!.fp).toEqual(scores);
    } finally {
      fp.dispose();
    }
    const sim = (m: typeof model) => new GpuModel(ctx, m, { reference: quantReferenceOps, gpu: quantGpuOps });
    const [a, b] = [sim(half.simulated), sim(full.simulated)];
    try {
      const la = (await a.run({ pixel_values: calibration[0].pixels }, 3)).outputs.logits.data;
      const lb = (await b.run({ pixel_values: calibration[0].pixels }, 3)).outputs.logits.data;
      expect(Math.max(...la.map((v, i) => Math.abs(v - lb[i])))).toBeGreaterThan(0); // the rounding reached the simulation
      expect(half.simulated.graph.initializers.get('pos_embed')!.data).toEqual(rounded.model.graph.initializers.get('pos_embed')!.data);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
