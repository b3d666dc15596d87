import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReference } from '../engine/cpu/executor.ts';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { Model } from '../onnx/ir.ts';
import { lowerForEngine } from '../onnx/lower.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';
import { simulatedModel } from '../quant/simulation/simulate.ts';
import { ExportError } from './errors.ts';
import { exportOnnx } from './export.ts';
import { TARGET_FORMAT, targetObstacle } from './targets.ts';
import { syntheticQuantization } from './testing.ts';

const load = (file: string) => decodeModel(new Uint8Array(readFileSync(join(import.meta.dirname, '../../tools/fixtures', file))), { fileName: file });
const dims = [2, 3, 32, 32];
const x = Float64Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.fround(Math.sin(i * 0.37) * 1.7));
const FP32 = { ...DEFAULT_SETTINGS, floatParams: 'fp32' as const };

function logits(model: Model, ops = onnxOps): number[] {
  return Array.from(runReference(model, { [model.graph.inputs[0].name]: { dtype: 'float32', dims, data: x } }, { ops }).outputs[model.graph.outputs[0].name].data);
}

function thrown(f: () => unknown): ExportError {
  try {
    f();
  } catch (e) {
    if (e instanceof ExportError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('export targets', () => {
  const model = load('deit_tiny_distilled_op17.onnx');
  const layers = analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight));

  for (const target of ['webgpu', 'any'] as const) {
    it(`${target}: weights only, as standard DequantizeLinear, equal to the weight-only simulation`, () => {
      const q = syntheticQuantization(model, x, dims, [2, 3, 4, 6, 8], null);
      const { bytes, written } = exportOnnx(model, { layers: q.codes, activations: q.activations, method: 'rtn', settings: FP32 }, { target });
      const file = decodeModel(bytes);
      expect(written.format).toBe(TARGET_FORMAT[target]);
      expect(written.activations).toBe('none (float activations)');
      expect(file.metadata['defakeq.target']).toBe(target);
      const ops = new Set(file.graph.nodes.map((n) => n.opType));
      expect(ops.has('DequantizeLinear')).toBe(true);
      for (const op of ['QuantizeLinear', 'MatMulNBits', 'Shape']) expect(ops.has(op), op).toBe(false); // no CPU-bound plumbing either
      expect(file.graph.nodes.every((n) => n.domain === '' || n.domain === 'ai.onnx')).toBe(true);
      expect(file.opsets.map((o) => o.domain).filter((d) => d !== '' && d !== 'ai.onnx')).toEqual([]);
      const simulated = logits(simulatedModel(model, layers, q.plan), { ...onnxOps, ...quantReferenceOps });
      expect(logits(lowerForEngine(file))).toEqual(simulated);
    });
  }

  it('refuses, naming the target and the width, a run with quantized activations for webgpu and any; wasm writes it', () => {
    const q = syntheticQuantization(model, x, dims, [4], 8);
    const source = { layers: q.codes, activations: q.activations, method: 'rtn', settings: FP32 };
    expect(thrown(() => exportOnnx(model, source, { target: 'webgpu' })).message)
      .toMatch(/^the webgpu target keeps activations in float \(onnxruntime's WebGPU EP has no QuantizeLinear kernel.*\), but this run quantized them to 8 bits: quantize again with activation bits none, or export for wasm$/);
    expect(thrown(() => exportOnnx(model, source, { target: 'any' })).message).toMatch(/^the any target keeps activations in float .* 8 bits/);
    const wasm = decodeModel(exportOnnx(model, source, { target: 'wasm' }).bytes);
    expect(wasm.graph.nodes.some((n) => n.opType === 'QuantizeLinear')).toBe(true);
  });

  it('any stores standard ONNX only: MatMulNBits (auto, nbits) is refused; webgpu takes it when asked', () => {
    expect(targetObstacle('any', 'nbits', null)).toMatch(/^the any target stores weights as qdq only .*got weight format nbits$/);
    expect(targetObstacle('any', 'auto', null)).toMatch(/got weight format auto$/);
    expect(targetObstacle('webgpu', 'nbits', null)).toBeNull();
    expect(targetObstacle('wasm', 'auto', 8)).toBeNull();
    const q = syntheticQuantization(model, x, dims, [2], null, false);
    const file = decodeModel(exportOnnx(model, { layers: q.codes, activations: q.activations, method: 'rtn', settings: FP32 }, { target: 'webgpu', format: 'nbits' }).bytes);
    expect(file.graph.nodes.some((n) => n.opType === 'MatMulNBits')).toBe(true);
  });
});
