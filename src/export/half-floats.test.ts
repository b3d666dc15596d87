import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runReference } from '../engine/cpu/executor.ts';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { Model } from '../onnx/ir.ts';
import { lowerForEngine } from '../onnx/lower.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';
import { halfFloatModel } from '../quant/simulation/half-floats.ts';
import type { QuantizeReport } from '../quant/report.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { simulatedModel } from '../quant/simulation/simulate.ts';
import { exportOnnx } from './export.ts';
import { halfFloatInitializers } from './half-floats.ts';
import { restoreResult } from './restore.ts';
import { parseSource, serializeSource, type ExportSource } from './source.ts';
import { syntheticQuantization } from './testing.ts';
import { verifyExport, type OrtModule } from './verify.ts';
import type { WeightFormat } from './writer.ts';

const fixtures = join(import.meta.dirname, '../../tools/fixtures');
const load = (file: string) => decodeModel(new Uint8Array(readFileSync(join(fixtures, file))), { fileName: file });

const BATCH = 2;
const dims = [BATCH, 3, 32, 32];
const pixels = Float64Array.from({ length: BATCH * 3 * 32 * 32 }, (_, i) => Math.fround(Math.sin(i * 0.37) * 1.7));

function logits(model: Model, ops = onnxOps): Float64Array {
  const input = model.graph.inputs[0].name;
  return runReference(model, { [input]: { dtype: 'float32', dims, data: pixels } }, { ops }).outputs[model.graph.outputs[0].name].data;
}

const HALF = { ...DEFAULT_SETTINGS, floatParams: 'fp16' as const };
const FULL = { ...DEFAULT_SETTINGS, floatParams: 'fp32' as const };

/** A quantization of the float16-rounded model, its simulation and its saved source. */
function quantized(file: string, actBits: number | null) {
  const original = load(file);
  const rounded = halfFloatModel(original).model;
  const q = syntheticQuantization(rounded, pixels, dims, [2, 3, 4, 6, 8], actBits);
  const layers = analyzeModel(rounded).layers.filter((l) => rounded.graph.initializers.has(l.weight));
  const simulated = logits(simulatedModel(rounded, layers, q.plan), { ...onnxOps, ...quantReferenceOps });
  const source = (settings: typeof HALF | typeof FULL) => ({ layers: q.codes, activations: q.activations, method: 'adaround', settings });
  return { original, rounded, q, simulated, source };
}

describe('float parameters stored as float16', () => {
  const cases: [string, WeightFormat, number | null][] = [
    ['vit_tiny_op17.onnx', 'qdq', 8],
    ['vit_tiny_op17.onnx', 'nbits', 6],
    ['deit_tiny_distilled_op13.onnx', 'nbits', null],
    ['swin_tiny_op17.onnx', 'qdq', 8],
  ];
  for (const [file, format, actBits] of cases) {
    it(`${file}, ${format} weights, ${actBits ?? 'float'} activations: the file computes the simulation exactly, and is smaller`, () => {
      const { original, rounded, simulated, source } = quantized(file, actBits);
      // Exported from the original model: the export rounds it the same way the run did.
      const half = exportOnnx(original, source(HALF), { target: 'wasm', format });
      const full = exportOnnx(rounded, source(FULL), { target: 'wasm', format });
      const reread = decodeModel(half.bytes);
      expect(Array.from(logits(lowerForEngine(reread)))).toEqual(Array.from(simulated));
      if (format === 'nbits') expect(Array.from(logits(reread))).toEqual(Array.from(simulated));
      // The same rounded values kept in float32 compute the same; the original ones do not.
      expect(Array.from(logits(lowerForEngine(decodeModel(full.bytes))))).toEqual(Array.from(simulated));
      const unrounded = logits(lowerForEngine(decodeModel(exportOnnx(original, source(FULL), { target: 'wasm', format }).bytes)));
      expect(Math.max(...unrounded.map((v, i) => Math.abs(v - simulated[i])))).toBeGreaterThan(0);

      const halves = [...reread.graph.initializers.values()].filter((t) => t.dtype === 'float16');
      expect(halves.length).toBe(half.halved.length);
      expect(half.halved.length).toBeGreaterThanOrEqual(4);
      expect(half.halved).toContain(file.startsWith('swin') ? 'layers.1.blocks.0.attn.qkv.bias' : 'pos_embed');
      const casts = reread.graph.nodes.filter((n) => n.opType === 'Cast' && n.inputs[0].endsWith('_float16'));
      expect(casts.map((n) => n.outputs[0]).sort()).toEqual([...half.halved].sort());
      // Quantization parameters stay float32 initializers, read directly.
      for (const n of reread.graph.nodes.filter((n) => ['DequantizeLinear', 'QuantizeLinear', 'MatMulNBits'].includes(n.opType))) {
        for (const i of n.inputs.slice(1)) expect(reread.graph.initializers.get(i)?.dtype, `${n.name} input ${i}`).not.toBe('float16');
      }
      const saved = half.halved.reduce((s, name) => s + 2 * rounded.graph.initializers.get(name)!.data.length, 0);
      expect(half.bytes.length).toBeLessThan(full.bytes.length);
      expect(full.bytes.length - half.bytes.length).toBeGreaterThan(saved / 4); // the Cast nodes cost part of it back
    });
  }

  it('leaves alone what is not exactly float16, too small to pay, or read by a quantization op', () => {
    const { rounded, source } = quantized('vit_tiny_op17.onnx', 8);
    const written = exportOnnx(rounded, source(FULL), { target: 'wasm', format: 'qdq' }).written.model;
    const scale = [...written.graph.initializers.values()].find((t) => t.name.endsWith('_scale') && t.data.length > 16)!;
    // Make a DequantizeLinear scale exactly float16 and large enough: it still stays float32.
    const init = new Map(written.graph.initializers).set(scale.name, { ...scale, data: new Float32Array(scale.data.length).fill(0.5) });
    const out = halfFloatInitializers({ ...written, graph: { ...written.graph, initializers: init } });
    expect(out.halved).not.toContain(scale.name);
    expect(out.model.graph.initializers.get(scale.name)!.dtype).toBe('float32');
    // An FP32-settings export holds almost nothing exactly float16; the rounded model's tensors all are.
    const fromOriginal = halfFloatInitializers(exportOnnx(load('vit_tiny_op17.onnx'), source(FULL), { target: 'wasm', format: 'qdq' }).written.model);
    expect(fromOriginal.halved).toEqual([]);
    expect(halfFloatInitializers(written).halved).toEqual(halfFloatModel(load('vit_tiny_op17.onnx')).rounded.map((r) => r.name).filter((n) => written.graph.initializers.has(n)));
    // head.bias (2 values) would cost more as float16 than it saves.
    expect(out.model.graph.initializers.get('head.bias')!.dtype).toBe('float32');
  });

  it('a run restored from its saved codes has the same rounded model and exports the same bytes', () => {
    const { original, rounded, simulated, source } = quantized('vit_tiny_op17.onnx', 8);
    const saved: ExportSource = { model: { fileName: 'vit_tiny_op17.onnx', sha256: '', bytes: 0 }, cancelled: false, ...source(HALF) };
    const back = parseSource(JSON.parse(JSON.stringify(serializeSource(saved))), 'the test');
    const restored = restoreResult(original, back, { settings: HALF } as QuantizeReport);
    expect(Array.from(logits(restored.simulated, { ...onnxOps, ...quantReferenceOps }))).toEqual(Array.from(simulated));
    for (const [name, t] of rounded.graph.initializers) expect(restored.model.graph.initializers.get(name)!.data, name).toEqual(t.data);
    const a = exportOnnx(restored.model, back, { target: 'wasm' }).bytes;
    const b = exportOnnx(original, back, { target: 'wasm' }).bytes;
    expect(a).toEqual(b);
  });

  for (const format of ['qdq', 'nbits'] as const) {
    it(`runs in onnxruntime-node (CPU EP) with ${format} weights like the simulation`, async () => {
      const { original, simulated, source } = quantized('vit_tiny_op17.onnx', 8);
      const { bytes } = exportOnnx(original, source(HALF), { target: 'wasm', format });
      const rows = Array.from({ length: BATCH }, (_, i) => Array.from(simulated.subarray(i * 2, i * 2 + 2)));
      const v = await verifyExport(ortNode as unknown as OrtModule, 'onnxruntime-node cpu', 'cpu', bytes, {
        batches: [{ pixels: Float32Array.from(pixels), count: BATCH }], dims: [3, 32, 32], simulated: rows,
      });
      expect(v.error).toBeNull();
      expect(v.ok).toBe(true);
      expect(v.maxAbsDeltaLogit!).toBeLessThan(1e-4);
      expect(v.agreement).toBe(1);
    });
  }
});
