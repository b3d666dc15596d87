import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReference } from '../engine/cpu/executor.ts';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { Model } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';
import type { QuantizeReport } from '../quant/report.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { simulatedModel } from '../quant/simulation/simulate.ts';
import { ExportError } from './errors.ts';
import { restoreResult } from './restore.ts';
import { parseSource, serializeSource, type ExportSource } from './source.ts';
import { syntheticQuantization } from './testing.ts';

const model = decodeModel(new Uint8Array(readFileSync(join(import.meta.dirname, '../../tools/fixtures/vit_tiny_op17.onnx'))), { fileName: 'vit_tiny_op17.onnx' });
const dims = [2, 3, 32, 32];
const input = Float64Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.fround(Math.cos(i * 0.21) * 1.3));
const FP32 = { ...DEFAULT_SETTINGS, floatParams: 'fp32' as const };
const report = { settings: FP32 } as QuantizeReport;

function logits(m: Model): number[] {
  const name = m.graph.inputs[0].name;
  const out = runReference(m, { [name]: { dtype: 'float32', dims, data: input } }, { ops: { ...onnxOps, ...quantReferenceOps } }).outputs;
  return Array.from(out[m.graph.outputs[0].name].data);
}

function saved(settings: typeof DEFAULT_SETTINGS = FP32): { source: ExportSource; simulated: Model } {
  const q = syntheticQuantization(model, input, dims, [2, 3, 4, 6, 8], 8);
  const layers = analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight));
  const source: ExportSource = {
    model: { fileName: 'vit_tiny_op17.onnx', sha256: '', bytes: 0 }, method: 'adaround', settings, cancelled: false, layers: q.codes, activations: q.activations,
  };
  return { source, simulated: simulatedModel(model, layers, q.plan) };
}

describe('restoring a run from its saved codes', () => {
  it('rebuilds the same simulated model after a trip through JSON', () => {
    const { source, simulated } = saved();
    const stored = parseSource(JSON.parse(JSON.stringify(serializeSource(source))), 'the test');
    const restored = restoreResult(model, stored, report);
    expect(logits(restored.simulated)).toEqual(logits(simulated));
    expect([...restored.plan.layers.keys()]).toEqual(source.layers.map((l) => l.name));
    expect(restored.plan.activations?.size).toBe(source.activations.size);
  });

  it('refuses codes that do not fit the model, naming the layer', () => {
    const { source } = saved();
    const wrong = { ...source, layers: [{ ...source.layers[1], N: source.layers[1].N + 1 }] };
    expect(() => restoreResult(model, wrong, report)).toThrow(ExportError);
    expect(() => restoreResult(model, wrong, report)).toThrow(source.layers[1].name);
  });

  it('refuses a run whose LayerNorms were reparameterised', () => {
    const { source } = saved({ ...FP32, actReparam: true });
    expect(() => restoreResult(model, source, report)).toThrow(/reparameterised/);
  });
});
