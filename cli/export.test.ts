/**
 * quantize --out and export, through the real CLI (Dawn): the file runs in the studio's own engine
 * (cli run/eval), in onnxruntime-node's CPU EP and in onnxruntime-web's wasm build, all agreeing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { listImages } from '../src/data/dataset.ts';
import { decodeImageNode } from '../src/data/decode-node.ts';
import { filesFromDirectory } from '../src/data/fs-node.ts';
import { preprocess } from '../src/data/preprocess.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { parseCommandLine } from './args.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'tools/fixtures');

interface Result { code: number; stdout: string; stderr: string }
function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', './cli/register.mjs', 'cli/main.ts', ...args], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('export flags', () => {
  it('reads quantize --out with a target and format, and export R.json --out DIR', () => {
    expect(parseCommandLine(['quantize', 'm.onnx', '--calib', 'c', '--out', 'q.onnx', '--target', 'webgpu', '--format', 'nbits']).command)
      .toMatchObject({ kind: 'quantize', out: 'q.onnx', report: undefined, target: 'webgpu', format: 'nbits' });
    expect(parseCommandLine(['export', 'r.json', '--out', 'dir']).command).toEqual({ kind: 'export', report: 'r.json', out: 'dir', model: undefined, json: false, target: 'wasm', format: undefined });
    const usage = (argv: string[]) => {
      try {
        parseCommandLine(argv);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    expect(usage(['export', 'r.json'])).toBe('export needs --out DIR (the bundle folder to create)');
    expect(usage(['export', '--out', 'd'])).toBe('export needs a saved quantization report (R.json)');
    expect(usage(['quantize', 'm.onnx', '--calib', 'c', '--out', 'q.onnx', '--target', 'gpu'])).toBe('--target must be one of wasm, webgpu, any, got "gpu"');
    // webgpu and any keep activations in float: weights only by default, an explicit width refused before any work.
    expect(parseCommandLine(['quantize', 'm.onnx', '--calib', 'c', '--out', 'q.onnx', '--target', 'webgpu']).command).toMatchObject({ target: 'webgpu', actBits: null });
    expect(parseCommandLine(['quantize', 'm.onnx', '--calib', 'c', '--out', 'q.onnx', '--target', 'any', '--act-bits', 'none']).command).toMatchObject({ target: 'any', actBits: null });
    expect(parseCommandLine(['quantize', 'm.onnx', '--calib', 'c', '--out', 'q.onnx']).command).toMatchObject({ target: 'wasm', actBits: 8 });
    expect(usage(['quantize', 'm.onnx', '--calib', 'c', '--out', 'q.onnx', '--target', 'webgpu', '--act-bits', '8']))
      .toBe('--target webgpu keeps activations in float (docs/deploy.md), so --act-bits 8 cannot be exported for it; drop --act-bits or use --target wasm');
    expect(usage(['export', 'r.json', '--out', 'd', '--target', 'any', '--format', 'nbits'])).toBe('--target any stores weights as qdq only, got --format nbits');
    expect(usage(['run', 'm.onnx', '--images', 'd', '--out', 'x'])).toBe('--out only applies to the quantize, export and explain commands');
  });
});

describe('cli quantize --out, export, and the exported file everywhere', () => {
  it('writes a low-bit ONNX that cli run, onnxruntime-node and onnxruntime-web agree on; export writes the bundle; eval on it matches the simulation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-export-'));
    const report = join(dir, 'r.json');
    const onnx = join(dir, 'q.onnx');
    const q = await cli('quantize', 'tools/fixtures/vit_tiny_op17.onnx', '--calib', 'tools/fixtures/images', '--eval', 'tools/fixtures/labelled', '--method', 'rtn', '--bits', '2,3,4,6,8', '--report', report, '--out', onnx);
    expect(q.stderr).toMatch(/(DequantizeLinear|MatMulNBits).* export written to/);
    expect(q.code).toBe(0);
    const saved = JSON.parse(await readFile(report, 'utf8'));
    // The evaluation in one line: both AUCs and their paired change, the one the report keeps.
    const { fp, quantized, aucChange } = saved.evaluation;
    expect(aucChange.difference).toBeCloseTo(quantized.auc - fp.auc, 12);
    expect(q.stderr).toContain(`evaluation on 6 images: AUC ${fp.auc.toFixed(4)} → ${quantized.auc.toFixed(4)} (${aucChange.difference >= 0 ? '+' : ''}${aucChange.difference.toFixed(4)} ± ${aucChange.standardError.toFixed(4)}, paired)`);
    expect(Object.keys(saved)).toEqual(expect.arrayContaining(['avgBits', 'modelBytes', 'layers', 'settings', 'timings', 'export']));
    const exported = decodeModel(new Uint8Array(await readFile(onnx)));
    expect(exported.graph.nodes.some((n) => n.opType === 'DequantizeLinear' || n.opType === 'MatMulNBits')).toBe(true);

    const run = await cli('run', onnx, '--images', 'tools/fixtures/images', '--size', '32', '--json');
    expect(run.code).toBe(0);
    const engine = (JSON.parse(run.stdout) as { logits: number[][] }).logits.flat();
    const sources = listImages(await filesFromDirectory(join(FIXTURES, 'images')), 'images');
    const decoded = await Promise.all(sources.map(async (s) => decodeImageNode(await s.read(), s.name)));
    const pixels = preprocess(decoded, { size: [32, 32], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    const bytes = new Uint8Array(await readFile(onnx));
    ortWeb.env.wasm.numThreads = 1;
    for (const [name, ort, ep] of [['onnxruntime-node', ortNode, 'cpu'], ['onnxruntime-web', ortWeb, 'wasm']] as const) {
      const session = await (ort as typeof ortWeb).InferenceSession.create(bytes, { executionProviders: [ep] });
      const out = await session.run({ pixel_values: new (ort as typeof ortWeb).Tensor('float32', pixels, [decoded.length, 3, 32, 32]) });
      const want = out.logits.data as Float32Array;
      expect(want.length, name).toBe(engine.length);
      // The engine quantizes activations on the GPU (WGSL division): a code may flip at a boundary.
      engine.forEach((v, i) => expect(Math.abs(v - want[i]), `${name} logit ${i}`).toBeLessThan(1e-2));
      await session.release();
    }

    const bundle = join(dir, 'bundle');
    const x = await cli('export', report, '--out', bundle);
    expect(x.code).toBe(0);
    expect((await readdir(bundle)).sort()).toEqual(['config.json', 'model.onnx', 'onnx', 'preprocessor_config.json', 'quant_report.json']);
    expect((await readdir(join(bundle, 'onnx'))).sort()).toEqual(['model.onnx', 'model_quantized.onnx']);
    expect(new Uint8Array(await readFile(join(bundle, 'model.onnx')))).toEqual(bytes);

    const evalRun = await cli('eval', join(bundle, 'onnx/model_quantized.onnx'), '--data', 'tools/fixtures/labelled', '--json');
    expect(evalRun.code).toBe(0);
    expect(JSON.parse(evalRun.stdout).auc).toBeCloseTo(saved.evaluation.quantized.auc, 2);

    // A second export into the same folder, a foreign report and a changed model are refused, writing nothing.
    const again = await cli('export', report, '--out', bundle);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: --out .* already exists and is not empty/);
    await writeFile(join(dir, 'other.json'), '{"avgBits": 4}');
    const foreign = await cli('export', join(dir, 'other.json'), '--out', join(dir, 'b2'));
    expect(foreign.stderr).toMatch(/^error: report file .*other\.json holds no export data/);
    expect(foreign.stderr.trimEnd().split('\n')).toHaveLength(1);
    const webgpu = await cli('export', report, '--out', join(dir, 'b4'), '--target', 'webgpu');
    expect(webgpu.code).toBe(1);
    expect(webgpu.stderr.trimEnd().split('\n')).toEqual(['error: the webgpu target keeps activations in float (onnxruntime\'s WebGPU EP has no QuantizeLinear kernel and would run activation quantization on the CPU), but this run quantized them to 8 bits: quantize again with activation bits none, or export for wasm']);
    const changed = await cli('export', report, '--out', join(dir, 'b3'), '--model', 'tools/fixtures/vit_tiny_op13.onnx');
    expect(changed.stderr).toMatch(/^error: model file .* is not the model .* was quantized from/);
    expect((await readdir(dir)).sort()).toEqual(['bundle', 'other.json', 'q.onnx', 'r.json']);
  }, 400_000);
});
