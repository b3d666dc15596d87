import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { runReference } from '../engine/cpu/executor.ts';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { Model } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';
import type { QuantizeResult } from '../quant/report.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { simulatedModel } from '../quant/simulation/simulate.ts';
import { zeroRestoredColumns } from '../quant/simulation/restored.ts';
import { bundleFiles, bundleZip } from './bundle.ts';
import { layerCodes } from './codes.ts';
import { ExportError } from './errors.ts';
import { exportOnnx } from './export.ts';
import { upgradeOpset } from './opset.ts';
import { exportSourceOf, parseSource, serializeSource } from './source.ts';
import { syntheticQuantization } from './testing.ts';

const fixtures = join(import.meta.dirname, '../../tools/fixtures');
const load = (file: string) => decodeModel(new Uint8Array(readFileSync(join(fixtures, file))), { fileName: file });
const model = load('vit_tiny_op17.onnx');
const layers = analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight));
const dims = [1, 3, 32, 32];
const pixels = Float64Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.fround(Math.cos(i * 0.11)));
const q = syntheticQuantization(model, pixels, dims, [4], 8);
const source = { layers: q.codes, activations: q.activations, method: 'rtn', settings: { ...DEFAULT_SETTINGS, floatParams: 'fp32' as const } };
const logits = (m: Model, ops = onnxOps) => runReference(m, { [m.graph.inputs[0].name]: { dtype: 'float32', dims, data: pixels } }, { ops }).outputs[m.graph.outputs[0].name].data;

function thrown(work: () => unknown): ExportError {
  try {
    work();
  } catch (e) {
    expect(e).toBeInstanceOf(ExportError);
    return e as ExportError;
  }
  throw new Error('expected an ExportError');
}

describe('exports refuse what they cannot write, naming the layers, and produce nothing', () => {
  it('before quantization', () => {
    expect(thrown(() => exportOnnx(model, { ...source, layers: [] }, { target: 'wasm' })).message).toMatch(/not been quantized yet/);
    const unquantized = { plan: { layers: new Map() }, report: { cancelled: false, settings: DEFAULT_SETTINGS } } as unknown as QuantizeResult;
    expect(thrown(() => exportSourceOf(model, unquantized, { fileName: 'm', sha256: '', bytes: 1 })).message).toMatch(/not been quantized yet/);
    const cancelled = { ...unquantized, report: { cancelled: true, settings: DEFAULT_SETTINGS } } as unknown as QuantizeResult;
    expect(thrown(() => exportSourceOf(model, cancelled, { fileName: 'm', sha256: '', bytes: 1 })).message).toMatch(/cancelled before any bit width/);
  });

  it('codes for layers the model does not have, or of the wrong shape or width', () => {
    const e1 = thrown(() => exportOnnx(model, { ...source, layers: [{ ...q.codes[0], name: 'nowhere.fc' }, { ...q.codes[1], name: 'also.gone' }] }, { target: 'wasm' }));
    expect(e1.message).toBe('these quantized layers are not in the model (2 layers): nowhere.fc, also.gone');
    expect(e1.layers).toEqual(['nowhere.fc', 'also.gone']);
    const e2 = thrown(() => exportOnnx(model, { ...source, layers: [{ ...q.codes[2], K: q.codes[2].K + 1 }] }, { target: 'wasm' }));
    expect(e2.layers).toEqual([q.codes[2].name]);
    const e3 = thrown(() => exportOnnx(model, { ...source, layers: [{ ...q.codes[0], bits: 9 }, { ...q.codes[3], bits: 1 }] }, { target: 'wasm' }));
    expect(e3.message).toMatch(/2 to 8 bits.*\(2 layers\).*9 bits.*1 bits/);
  });

  it('a Gemm MatMulNBits cannot express (alpha != 1), with --format qdq as the way out', () => {
    const gemm = layers.find((l) => l.kind === 'gemm')!;
    const scaled: Model = { ...model, graph: { ...model.graph, nodes: model.graph.nodes.map((n) => (n === gemm.node ? { ...n, attrs: { ...n.attrs, alpha: { type: 'float', value: 0.5 } } } : n)) } };
    const e = thrown(() => exportOnnx(scaled, source, { target: 'wasm', format: 'nbits' }));
    expect(e.layers).toEqual([gemm.name]);
    expect(e.message).toMatch(/--format qdq/);
    expect(() => exportOnnx(scaled, source, { target: 'wasm', format: 'qdq' })).not.toThrow();
  });

  it('a quantized weight off its grid (the weight and its parameters disagree)', () => {
    const l = layers[1];
    const w = Float32Array.from(model.graph.initializers.get(l.weight)!.data as Float32Array);
    w[0] += 1e-3;
    const e = thrown(() => layerCodes(l, model.graph.initializers.get(l.weight)!, { bits: 4, weight: w }, 'minmax'));
    expect(e.message).toMatch(new RegExp(`^layer ${l.name.replace(/\./g, '\\.')}: quantized weight .* is not on its 4-bit grid`));
  });

  it('restored channels on a conv, out of range, or whose codes are not the zero point', () => {
    const conv = layers.find((l) => l.kind === 'conv')!;
    const fc = layers.find((l) => l.kind === 'matmul')!;
    const readers = layers.filter((l) => l.input === fc.input).map((l) => l.name);
    const restore = (channels: [string, number[]][]) => exportOnnx(model, { ...source, restored: new Map(channels) }, { target: 'wasm' });
    expect(thrown(() => restore([[conv.input, [0]]])).layers).toEqual([conv.name]);
    expect(thrown(() => restore([[fc.input, [fc.inFeatures]]])).layers).toEqual(readers);
    // Nearest-rounded codes of the whole weight: the restored columns are not zero.
    expect(thrown(() => restore([[fc.input, [1]]])).message).toMatch(/codes are the zero point/);
  });

  it('a model older than opset 13', () => {
    expect(() => upgradeOpset({ ...model, opsets: [{ domain: '', version: 11 }] })).toThrow(/opset 11 is too old/);
  });
});

describe('restored input channels: a Gather of the float input, a float MatMul and an Add', () => {
  const fc = layers.find((l) => l.kind === 'matmul')!;
  const channels = [1, 5];
  const restored = { channels: new Map([[fc.input, channels]]), half: false };
  // The layers reading fc's input store 0 in the restored columns; the simulation adds the float columns.
  const plan = { ...q.plan, layers: new Map(q.plan.layers), restored };
  for (const l of layers.filter((x) => x.input === fc.input)) {
    plan.layers.set(l.name, { ...q.plan.layers.get(l.name)!, weight: zeroRestoredColumns(l, q.plan.layers.get(l.name)!.weight!, channels) });
  }
  const codes = layers.map((l) => layerCodes(l, model.graph.initializers.get(l.weight)!, plan.layers.get(l.name)!, 'minmax'));
  for (const format of ['qdq', 'nbits'] as const) {
    it(`${format}: the export computes what the simulation does, the restored channels in float`, () => {
      const { bytes, written } = exportOnnx(model, { ...source, layers: codes, restored: restored.channels }, { target: 'wasm', format });
      const reread = decodeModel(bytes);
      const readers = layers.filter((l) => l.input === fc.input);
      expect(reread.graph.nodes.filter((n) => n.name.startsWith(`${fc.weight}_restored`)).map((n) => n.opType)).toEqual(['Gather', 'MatMul', 'Add']);
      expect(written.layers.filter((l) => l.restoredChannels === 2).map((l) => l.name)).toEqual(readers.map((l) => l.name));
      expect(JSON.parse(reread.metadata['defakeq.layers']).filter((l: { restoredChannels?: number }) => l.restoredChannels === 2)).toHaveLength(readers.length);
      const expected = logits(simulatedModel(model, layers, plan), { ...onnxOps, ...quantReferenceOps });
      const withoutRestored = logits(simulatedModel(model, layers, { ...plan, restored: undefined }), { ...onnxOps, ...quantReferenceOps });
      const got = logits(reread);
      const diff = (a: Float64Array, b: Float64Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      expect(diff(got, expected)).toBeLessThan(1e-5);
      expect(diff(got, withoutRestored)).toBeGreaterThan(1e-4);
    });
  }

  it('survive the saved export data', () => {
    const s2 = { model: { fileName: 'm.onnx', sha256: 'ab', bytes: 10 }, method: 'defakeq', settings: DEFAULT_SETTINGS, cancelled: false, layers: codes, activations: q.activations, restored: restored.channels };
    expect([...parseSource(JSON.parse(JSON.stringify(serializeSource(s2))), 'R.json').restored!]).toEqual([[fc.input, channels]]);
    const { restored: _r, ...before } = serializeSource(s2);
    expect(parseSource(JSON.parse(JSON.stringify(before)), 'R.json').restored).toBeUndefined();
  });
});

describe('the saved export data and the bundle', () => {
  it('serializes to JSON and back to the same codes, and refuses malformed data', () => {
    const s = { model: { fileName: 'm.onnx', sha256: 'ab', bytes: 10 }, method: 'rtn', settings: DEFAULT_SETTINGS, cancelled: false, layers: q.codes, activations: q.activations };
    const back = parseSource(JSON.parse(JSON.stringify(serializeSource(s))), 'R.json');
    expect(back.layers.map((l) => [l.name, l.bits, Array.from(l.codes), Array.from(l.scales), Array.from(l.zeroPoints)]))
      .toEqual(q.codes.map((l) => [l.name, l.bits, Array.from(l.codes), Array.from(l.scales), Array.from(l.zeroPoints)]));
    expect([...back.activations]).toEqual([...q.activations]);
    expect(() => parseSource({}, 'R.json')).toThrow(/R.json holds no export data/);
    const bad = serializeSource(s);
    bad.layers[0].codes = bad.layers[0].codes.slice(0, 8);
    expect(() => parseSource(bad, 'R.json')).toThrow(new RegExp(`layer ${q.codes[0].name.replace(/\./g, '\\.')} has 6 bytes of codes, too few`));
    const broken = serializeSource(s);
    (broken.layers[1] as { N: unknown }).N = 'x';
    expect(() => parseSource(broken, 'R.json')).toThrow(/layer entry 1 .* is malformed/);
  });

  it('lays the bundle out for transformers.js, config with model_type and id2label', () => {
    const { bytes } = exportOnnx(model, source, { target: 'wasm' });
    const input = { onnx: bytes, report: { ok: 1 }, preprocess: { size: [32, 32] as [number, number], mean: [0.5, 0.5, 0.5] as [number, number, number], std: [0.5, 0.5, 0.5] as [number, number, number] }, architecture: 'vit' as const, numClasses: 2, fakeIndex: 1 };
    const files = unzipSync(bundleZip(input));
    expect(Object.keys(files).sort()).toEqual(Object.keys(bundleFiles(input)).sort());
    expect(Object.keys(files).sort()).toEqual(['config.json', 'model.onnx', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'preprocessor_config.json', 'quant_report.json']);
    for (const f of ['model.onnx', 'onnx/model.onnx', 'onnx/model_quantized.onnx']) expect(files[f]).toEqual(bytes);
    const config = JSON.parse(strFromU8(files['config.json']));
    expect(config).toMatchObject({ model_type: 'vit', architectures: ['ViTForImageClassification'], id2label: { 0: 'real', 1: 'fake' }, label2id: { real: 0, fake: 1 } });
    expect(JSON.parse(strFromU8(files['preprocessor_config.json']))).toMatchObject({ image_processor_type: 'ViTImageProcessor', size: { height: 32, width: 32 }, image_mean: [0.5, 0.5, 0.5] });
    const given = JSON.parse(strFromU8(unzipSync(bundleZip({ ...input, config: { model_type: 'deit', id2label: { 0: 'REAL', 1: 'FAKE' } } }))['config.json']));
    expect(given).toMatchObject({ model_type: 'deit', id2label: { 0: 'REAL', 1: 'FAKE' }, label2id: { REAL: 0, FAKE: 1 } });
  });
});
