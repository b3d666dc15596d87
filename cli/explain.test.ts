/**
 * explain: its flags, the gradient method refused in one line for a model the backward pass cannot
 * go through, exported low-bit graphs keeping their attention where the float model has it, and
 * the real CLI (Dawn) on ViT, DeiT and Swin exports of both opsets (one opset's export explained
 * against the other's), its maps checked against the float64 reference.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../src/data/decode-node.ts';
import { preprocess } from '../src/data/preprocess.ts';
import { planLookup, tapReader } from '../src/explain/capture.ts';
import { referenceAttentionGradients } from '../src/explain/gradients.ts';
import { withStraightThroughQuantizers } from '../src/explain/straight-through.ts';
import { runReference } from '../src/engine/cpu/executor.ts';
import { quantReferenceOps } from '../src/quant/simulation/fake-quant-op.ts';
import { explainLayout } from '../src/explain/layout.ts';
import { explainImage } from '../src/explain/maps.ts';
import { analyzeModel } from '../src/model/summary.ts';
import { lowerForEngine } from '../src/onnx/lower.ts';
import { onnxOps } from '../src/onnx/ops/index.ts';
import { modelInputDims, prepareModel } from '../src/onnx/prepare.ts';
import { referenceCapture } from '../src/explain/testing.ts';
import { exportOnnx } from '../src/export/export.ts';
import { syntheticQuantization } from '../src/export/testing.ts';
import type { WeightFormat } from '../src/export/writer.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { encodeModel } from '../src/onnx/encode.ts';
import type { Model } from '../src/onnx/ir.ts';
import { DEFAULT_SETTINGS } from '../src/quant/settings.ts';
import { parseCommandLine } from './args.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'tools/fixtures');
const load = (file: string) => decodeModel(new Uint8Array(readFileSync(join(FIXTURES, file))));

interface Result { code: number; stdout: string; stderr: string }
function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', './cli/register.mjs', 'cli/main.ts', ...args], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const usage = (argv: string[]) => {
  try {
    parseCommandLine(argv);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};

/** The real exporter's file for a nearest-rounding quantization at 2, 4 and 8 bits with 8-bit activations. */
function exported(model: Model, format: WeightFormat): Uint8Array {
  const dims = [1, 3, 32, 32];
  const x = Float64Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.fround(Math.sin(i * 0.37)));
  const q = syntheticQuantization(model, x, dims, [2, 4, 8], 8, false);
  return exportOnnx(model, { layers: q.codes, activations: q.activations, method: 'rtn', settings: { ...DEFAULT_SETTINGS, floatParams: 'fp16' } }, { target: 'wasm', format }).bytes;
}

describe('explain flags', () => {
  it('reads the command and names what is missing or wrong', () => {
    expect(parseCommandLine(['explain', 'm.onnx', '--images', 'd', '--out', 'o', '--quantized', 'q.onnx', '--method', 'attention']).command)
      .toMatchObject({ kind: 'explain', model: 'm.onnx', images: 'd', out: 'o', quantized: 'q.onnx', method: 'attention', faithfulness: false, batch: 8 });
    expect(parseCommandLine(['explain', 'm.onnx', '--images', 'd', '--out', 'o']).command).toMatchObject({ method: 'rollout', quantized: undefined });
    expect(usage(['explain', 'm.onnx', '--out', 'o'])).toBe('explain needs --images DIR');
    expect(usage(['explain', 'm.onnx', '--images', 'd'])).toBe('explain needs --out DIR (the folder for the heatmaps and maps.json)');
    expect(usage(['explain', 'm.onnx', '--images', 'd', '--out', 'o', '--method', 'rtn'])).toBe('--method must be one of rollout, attention, gradient for explain, got "rtn"');
    expect(usage(['run', 'm.onnx', '--images', 'd', '--quantized', 'q.onnx'])).toBe('--quantized only applies to the explain command');
  });

  it('refuses the gradient method in one line for a model the backward pass cannot go through, and writes nothing', async () => {
    // The head reads Floor(features): an op with no gradient on the path from the logits to the attention.
    const model = load('vit_tiny_op17.onnx');
    const head = model.graph.nodes.find((n) => n.outputs.includes(model.graph.outputs[0].name))!;
    const floor = { name: 'floor_features', domain: '', opType: 'Floor', inputs: [head.inputs[0]], outputs: ['floored'], attrs: {} };
    const nodes = model.graph.nodes.flatMap((n) => (n === head ? [floor, { ...n, inputs: ['floored', ...n.inputs.slice(1)] }] : [n]));
    const dir = await mkdtemp(join(tmpdir(), 'explain-grad-'));
    await writeFile(join(dir, 'floor.onnx'), encodeModel({ ...model, graph: { ...model.graph, nodes } }));
    const out = join(dir, 'maps');
    const r = await cli('explain', join(dir, 'floor.onnx'), '--images', 'tools/fixtures/images', '--out', out, '--method', 'gradient', '--size', '32');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: gradient × attention is not available for this model: Unsupported operator Floor at node "floor_features": no backward pass for it[^\n]*\n$/);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });
});

/** The layout of a model's attention, read from its plan at batch 1 (shapes and constant masks only). */
function layoutOf(model: Model) {
  const runnable = lowerForEngine(model);
  const structure = analyzeModel(runnable);
  const layout = explainLayout(runnable, structure, 1, planLookup(prepareModel(runnable, modelInputDims(runnable, 1), onnxOps)));
  return { ...layout, cores: layout.cores.map(({ probs: _p, label: _l, ...geometry }) => geometry) };
}

describe('exported low-bit graphs', () => {
  // The other families' exports, both opsets, run through the CLI below.
  for (const file of ['hf_vit_tiny_op13.onnx', 'hf_vit_tiny_op17.onnx']) {
    it(`${file}: the renamed, compacted export (Q/DQ activations, DequantizeLinear and MatMulNBits weights) attends where the float model does`, () => {
      const model = load(file);
      const q = decodeModel(exported(model, 'auto'));
      for (const op of ['QuantizeLinear', 'DequantizeLinear', 'MatMulNBits']) expect(q.graph.nodes.some((n) => n.opType === op), op).toBe(true);
      expect(layoutOf(q)).toEqual(layoutOf(model));
    });
  }

  it('differentiate through their activation quantizers: each Q/DQ pair becomes a FakeQuantize that computes the same values', () => {
    const q = lowerForEngine(decodeModel(exported(load('vit_tiny_op17.onnx'), 'qdq')));
    const rewritten = withStraightThroughQuantizers(q);
    const count = (m: Model, op: string) => m.graph.nodes.filter((n) => n.opType === op).length;
    const activationPairs = q.graph.nodes.filter((n) => n.opType === 'QuantizeLinear').length;
    expect(activationPairs).toBeGreaterThan(0);
    expect(count(rewritten, 'FakeQuantize')).toBe(activationPairs);
    expect(count(rewritten, 'QuantizeLinear')).toBe(0);
    expect(count(rewritten, 'DequantizeLinear')).toBe(count(q, 'DequantizeLinear') - activationPairs);
    const x = { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: Float64Array.from({ length: 3072 }, (_, i) => Math.fround(Math.cos(i * 0.11))) };
    const want = runReference(q, { [q.graph.inputs[0].name]: x }).outputs[q.graph.outputs[0].name].data;
    const got = runReference(rewritten, { [q.graph.inputs[0].name]: x }, { ops: { ...onnxOps, ...quantReferenceOps } }).outputs[q.graph.outputs[0].name].data;
    Array.from(got).forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-9));
  });
});

const { PNG } = pngjs;
const pngSize = async (path: string) => {
  const png = PNG.sync.read(Buffer.from(await readFile(path)));
  return [png.width, png.height];
};

describe('cli explain on exports', () => {
  type Method = 'rollout' | 'attention' | 'gradient';
  // Each family's opset-13 export explained against its opset-17 export (the fixtures of a family share their weights).
  const cases: [string, WeightFormat, WeightFormat, Method][] = [
    ['vit_tiny', 'nbits', 'qdq', 'gradient'],
    ['deit_tiny_distilled', 'qdq', 'nbits', 'attention'],
    ['swin_tiny', 'auto', 'nbits', 'gradient'],
    ['hf_swin_tiny', 'nbits', 'qdq', 'rollout'],
  ];
  for (const [family, format13, format17, method] of cases) {
    it(`${family}: its op13 ${format13} export against its op17 ${format17} export, ${method}: heatmaps at each image's size, maps.json with similarity, maps as the float64 reference`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'explain-cli-'));
      const images = join(dir, 'images');
      await mkdir(images);
      await copyFile(join(FIXTURES, 'images/b_checker.png'), join(images, 'b_checker.png'));
      await copyFile(join(FIXTURES, 'images_odd/wide_48x40.png'), join(images, 'wide_48x40.png'));
      const fp = exported(load(`${family}_op13.onnx`), format13);
      await writeFile(join(dir, 'fp.onnx'), fp);
      await writeFile(join(dir, 'q.onnx'), exported(load(`${family}_op17.onnx`), format17));
      const out = join(dir, 'out');
      const faithfulness = family === 'vit_tiny' ? ['--faithfulness'] : [];
      const r = await cli('explain', join(dir, 'fp.onnx'), '--images', images, '--quantized', join(dir, 'q.onnx'), '--out', out, '--method', method, '--size', '32', ...faithfulness);
      expect(r.stderr).toContain(`2 heatmaps and maps.json written to ${out}`);
      expect(r.code).toBe(0);
      expect(r.stdout.trimEnd().split('\n').map((l) => l.split('\t')[0])).toEqual(['b_checker.png', 'wide_48x40.png']);
      expect((await readdir(out)).sort()).toEqual(['b_checker.difference.png', 'b_checker.png', 'b_checker.quantized.png', 'maps.json', 'wide_48x40.difference.png', 'wide_48x40.png', 'wide_48x40.quantized.png']);
      expect(await pngSize(join(out, 'wide_48x40.png'))).toEqual([48, 40]);
      expect(await pngSize(join(out, 'b_checker.difference.png'))).toEqual([32, 32]);

      const maps = JSON.parse(await readFile(join(out, 'maps.json'), 'utf8'));
      expect(maps.method).toBe(method);
      expect(maps.images).toHaveLength(2);
      expect(maps.similarity).toHaveLength(2);
      const blocks = maps.images[0].fp.blocks.length;
      expect(maps.similarity[0].blocks).toHaveLength(blocks);
      for (const s of maps.similarity) for (const a of [s.model, ...s.blocks]) {
        expect(a.spearman).toBeGreaterThanOrEqual(-1);
        expect(a.spearman).toBeLessThanOrEqual(1);
        expect(a.topKOverlap).toBeGreaterThanOrEqual(0);
      }
      // The FP map the GPU drew is the float64 reference's (executor and, for gradients, backward pass), to the JSON's six digits.
      const model = decodeModel(fp);
      const decoded = await decodeImageNode(new Uint8Array(await readFile(join(images, 'wide_48x40.png'))), 'wide_48x40.png');
      const pixels = preprocess([decoded], { size: [32, 32], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
      const ref = referenceCapture(model, pixels, 1);
      const target = { output: model.graph.outputs[0].name, index: 1 };
      const gradients = method === 'gradient' ? tapReader(await referenceAttentionGradients.attentionGradients(model, pixels, 1, ref.layout.cores.map((c) => c.probs), target)) : undefined;
      const want = explainImage(ref.layout, ref.taps, 0, method, gradients).model;
      const got = maps.images[1].fp.map;
      expect([got.rows, got.cols]).toEqual([want.rows, want.cols]);
      const tolerance = 1e-4 * Math.max(1, ...want.values.map(Math.abs));
      (got.values as number[]).forEach((v, i) => expect(Math.abs(v - want.values[i])).toBeLessThan(method === 'gradient' ? 2e-3 * Math.max(...want.values.map(Math.abs)) : tolerance));
      if (faithfulness.length) {
        const f = maps.images[0].fp.faithfulness;
        expect(f.deletion.scores).toHaveLength(17);
        expect(f.insertion.auc).toBeGreaterThan(0);
      }
    }, 180_000);
  }
});
