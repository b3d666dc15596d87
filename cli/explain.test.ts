/**
 * explain: its flags, the gradient method refused in one line, exported low-bit graphs keeping
 * their attention where the float model has it, and the real CLI (Dawn) on ViT, DeiT and Swin
 * exports of both opsets, its maps checked against the float64 reference executor.
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
import { planLookup } from '../src/explain/capture.ts';
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

  it('refuses the gradient method in one line naming the missing capability, and writes nothing', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'explain-grad-')), 'maps');
    const r = await cli('explain', 'tools/fixtures/vit_tiny_op17.onnx', '--images', 'tools/fixtures/images', '--out', out, '--method', 'gradient');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: gradient-weighted attribution is not available yet: it needs gradients of the score through the attention blocks \(a backward pass\)[^\n]*\n$/);
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
  // The other fixtures' exports run through the CLI below.
  for (const file of ['vit_tiny_op17.onnx', 'deit_tiny_distilled_op13.onnx', 'hf_vit_tiny_op13.onnx', 'hf_vit_tiny_op17.onnx', 'swin_tiny_op13.onnx', 'hf_swin_tiny_op17.onnx']) {
    it(`${file}: the renamed, compacted export (Q/DQ activations, DequantizeLinear and MatMulNBits weights) attends where the float model does`, () => {
      const model = load(file);
      const q = decodeModel(exported(model, 'auto'));
      for (const op of ['QuantizeLinear', 'DequantizeLinear', 'MatMulNBits']) expect(q.graph.nodes.some((n) => n.opType === op), op).toBe(true);
      expect(layoutOf(q)).toEqual(layoutOf(model));
    });
  }
});

const { PNG } = pngjs;
const pngSize = async (path: string) => {
  const png = PNG.sync.read(Buffer.from(await readFile(path)));
  return [png.width, png.height];
};

describe('cli explain on exports', () => {
  const cases: [string, WeightFormat, 'rollout' | 'attention'][] = [
    ['vit_tiny_op13.onnx', 'nbits', 'rollout'],
    ['deit_tiny_distilled_op17.onnx', 'qdq', 'attention'],
    ['swin_tiny_op17.onnx', 'auto', 'rollout'],
    ['hf_swin_tiny_op13.onnx', 'auto', 'attention'],
  ];
  for (const [file, format, method] of cases) {
    it(`${file} against its ${format} export, ${method}: heatmaps at each image's size, maps.json with similarity, maps as the float64 reference`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'explain-cli-'));
      const images = join(dir, 'images');
      await mkdir(images);
      await copyFile(join(FIXTURES, 'images/b_checker.png'), join(images, 'b_checker.png'));
      await copyFile(join(FIXTURES, 'images_odd/wide_48x40.png'), join(images, 'wide_48x40.png'));
      const model = load(file);
      await writeFile(join(dir, 'q.onnx'), exported(model, format));
      const out = join(dir, 'out');
      const faithfulness = file.startsWith('vit') ? ['--faithfulness'] : [];
      const r = await cli('explain', join(FIXTURES, file), '--images', images, '--quantized', join(dir, 'q.onnx'), '--out', out, '--method', method, '--size', '32', ...faithfulness);
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
      // The FP map the GPU drew is the float64 reference executor's, to the JSON's six digits.
      const decoded = await decodeImageNode(new Uint8Array(await readFile(join(images, 'wide_48x40.png'))), 'wide_48x40.png');
      const pixels = preprocess([decoded], { size: [32, 32], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
      const ref = referenceCapture(model, pixels, 1);
      const want = explainImage(ref.layout, ref.taps, 0, method).model;
      const got = maps.images[1].fp.map;
      expect([got.rows, got.cols]).toEqual([want.rows, want.cols]);
      (got.values as number[]).forEach((v, i) => expect(Math.abs(v - want.values[i])).toBeLessThan(1e-4));
      if (faithfulness.length) {
        const f = maps.images[0].fp.faithfulness;
        expect(f.deletion.scores).toHaveLength(17);
        expect(f.insertion.auc).toBeGreaterThan(0);
      }
    }, 180_000);
  }
});
