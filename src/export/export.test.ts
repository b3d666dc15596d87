import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReference } from '../engine/cpu/executor.ts';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { Model } from '../onnx/ir.ts';
import { lowerForEngine } from '../onnx/lower.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { simulatedModel } from '../quant/simulation/simulate.ts';
import { exportOnnx } from './export.ts';
import { syntheticQuantization } from './testing.ts';
import type { WeightFormat } from './writer.ts';

const fixtures = join(import.meta.dirname, '../../tools/fixtures');
const load = (file: string) => decodeModel(new Uint8Array(readFileSync(join(fixtures, file))), { fileName: file });

function image(batch: number): { data: Float64Array; dims: number[] } {
  const dims = [batch, 3, 32, 32];
  const data = new Float64Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(Math.sin(i * 0.37) * 1.7);
  return { data, dims };
}

function logits(model: Model, x: { data: Float64Array; dims: number[] }, ops = onnxOps): Float64Array {
  const input = model.graph.inputs[0].name;
  return runReference(model, { [input]: { dtype: 'float32', dims: x.dims, data: x.data } }, { ops }).outputs[model.graph.outputs[0].name].data;
}

const source = (q: ReturnType<typeof syntheticQuantization>) => ({ layers: q.codes, activations: q.activations, method: 'adaround', settings: FP32 });
// Float parameters kept in float32 here; src/export/half-floats.test.ts covers float16 ones.
const FP32 = { ...DEFAULT_SETTINGS, floatParams: 'fp32' as const };

describe('export round trip: write, decode, run = the simulation', () => {
  const cases: [string, WeightFormat, number | null][] = [
    ['vit_tiny_op17.onnx', 'qdq', 8],
    ['vit_tiny_op13.onnx', 'qdq', 6],
    ['vit_tiny_op17.onnx', 'nbits', 8],
    ['deit_tiny_distilled_op13.onnx', 'nbits', null],
    ['swin_tiny_op17.onnx', 'qdq', 8],
    ['vit_tiny_op17.onnx', 'auto', 8],
    ['deit_tiny_distilled_op13.onnx', 'auto', null],
    ['hf_swin_tiny_op13.onnx', 'auto', 8],
  ];
  for (const [file, format, actBits] of cases) {
    it(`${file}, ${format} weights at 2..8 bits, ${actBits ?? 'float'} activations: same logits as the simulated model`, () => {
      const model = load(file);
      const x = image(2);
      const q = syntheticQuantization(model, x.data, x.dims, [2, 3, 4, 5, 6, 8], actBits);
      const simulated = logits(simulatedModel(model, analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight)), q.plan), x, { ...onnxOps, ...quantReferenceOps });
      const { bytes, written } = exportOnnx(model, source(q), { target: 'wasm', format });
      const reread = decodeModel(bytes, { fileName: 'exported.onnx' });
      const ops = new Set(reread.graph.nodes.map((n) => n.opType));
      if (format === 'auto') {
        // Mixed: the 2-bit matmuls as MatMulNBits, the other widths and the Conv with DequantizeLinear.
        expect(ops.has('MatMulNBits') && ops.has('DequantizeLinear')).toBe(true);
        expect(written.layers.filter((l) => l.bits === 2 && !l.format.startsWith('MatMulNBits')).every((l) => analyzeModel(model).layers.find((m) => m.name === l.name)?.kind === 'conv')).toBe(true);
      } else expect(ops.has(format === 'qdq' ? 'DequantizeLinear' : 'MatMulNBits')).toBe(true);
      expect(ops.has('QuantizeLinear')).toBe(actBits !== null);
      expect(reread.opsets.find((o) => o.domain === '')?.version).toBe(21);
      const exported = logits(lowerForEngine(reread), x);
      expect(Array.from(exported)).toEqual(Array.from(simulated));
      const fp = logits(model, x);
      expect(Math.max(...fp.map((v, i) => Math.abs(v - simulated[i])))).toBeGreaterThan(1e-4); // quantization did change the model
      // The reference executor also runs MatMulNBits itself (unlowered), with the same result.
      if (format !== 'qdq') expect(Array.from(logits(reread, x))).toEqual(Array.from(simulated));
      expect(written.layers.map((l) => l.bits)).toEqual(q.codes.map((c) => c.bits));
    });
  }

  it('records true widths, containers, method and settings in metadata_props, with onnxruntime-style names', () => {
    const model = load('vit_tiny_op17.onnx');
    const x = image(1);
    const q = syntheticQuantization(model, x.data, x.dims, [3, 6], 8);
    const reread = decodeModel(exportOnnx(model, source(q), { target: 'wasm' }).bytes);
    const layers = JSON.parse(reread.metadata['defakeq.layers']) as { name: string; bits: number; storedBits: number }[];
    expect(layers.map((l) => [l.bits, l.storedBits]).slice(0, 2)).toEqual([[3, 4], [6, 8]]);
    expect(reread.metadata['defakeq.method']).toBe('adaround');
    expect(JSON.parse(reread.metadata['defakeq.settings']).avgBits).toBe(DEFAULT_SETTINGS.avgBits);
    const conv = analyzeModel(model).layers.find((l) => l.kind === 'conv')!;
    expect(reread.graph.initializers.get(`${conv.weight}_quantized`)?.dtype).toBe('uint4');
    expect(reread.graph.initializers.has(`${conv.weight}_scale`)).toBe(true);
    expect(reread.graph.initializers.has(`${conv.weight}_zero_point`)).toBe(true);
    expect(reread.graph.initializers.has(conv.weight)).toBe(false);
    expect(reread.graph.nodes.some((n) => n.name === `${conv.weight}_DequantizeLinear`)).toBe(true);
    expect(reread.graph.nodes.some((n) => n.opType === 'QuantizeLinear' && n.name === `${conv.input}_QuantizeLinear`)).toBe(true);
    expect(reread.graph.nodes.some((n) => n.opType === 'Conv')).toBe(true);
  });
});
