/** The CLI's inspect and run against independent references: PyTorch's module list and onnxruntime. */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../src/data/decode-node.ts';
import { filesFromDirectory } from '../src/data/fs-node.ts';
import { listImages } from '../src/data/dataset.ts';
import { preprocess } from '../src/data/preprocess.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { encodeModel } from '../src/onnx/encode.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'tools/fixtures');

interface Result { code: number; stdout: string; stderr: string }

function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', './cli/register.mjs', 'cli/main.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function expectOneErrorLine(r: Result, pattern: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

const manifest = JSON.parse(await readFile(join(FIXTURES, 'manifest.json'), 'utf8')) as {
  fixtures: { file: string; linearLayers: { module: string; inFeatures: number; outFeatures: number; params: number }[] }[];
};

describe('cli inspect', () => {
  for (const fixture of manifest.fixtures) {
    it(`lists exactly the linear layers of ${fixture.file}`, async () => {
      const r = await cli('inspect', join('tools/fixtures', fixture.file), '--json');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as { layers: { name: string; inFeatures: number; outFeatures: number; params: number }[] };
      expect(report.layers.map(({ name, inFeatures, outFeatures, params }) => ({ module: name, inFeatures, outFeatures, params })))
        .toEqual(fixture.linearLayers.map(({ module, inFeatures, outFeatures, params }) => ({ module, inFeatures, outFeatures, params })));
    });
  }
});

describe('cli run', () => {
  for (const file of ['vit_tiny_op13.onnx', 'swin_tiny_op17.onnx', 'hf_vit_tiny_op17.onnx']) {
    it(`gives onnxruntime's logits for every image with ${file}`, async () => {
      const r = await cli('run', join('tools/fixtures', file), '--images', 'tools/fixtures/images', '--batch', '4', '--json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const got = JSON.parse(r.stdout) as { images: string[]; logits: number[][] };

      const sources = listImages(await filesFromDirectory(join(FIXTURES, 'images')), 'images');
      expect(got.images).toEqual(sources.map((s) => s.name.split('/').pop()));
      const decoded = await Promise.all(sources.map(async (s) => decodeImageNode(await s.read(), s.name)));
      const pixels = preprocess(decoded, { size: [32, 32], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(new Uint8Array(await readFile(join(FIXTURES, file))), { executionProviders: ['wasm'] });
      const out = await session.run({ pixel_values: new ort.Tensor('float32', pixels, [decoded.length, 3, 32, 32]) });
      const want = out.logits.data as Float32Array;
      expect(got.logits.flat()).toHaveLength(want.length);
      got.logits.flat().forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-3));
    });
  }

  it('runs a model exported with a fixed batch of 1 one image at a time', async () => {
    const model = decodeModel(new Uint8Array(await readFile(join(FIXTURES, 'vit_tiny_op17.onnx'))));
    model.graph.inputs[0].shape = [1, 3, 32, 32];
    model.graph.outputs[0].shape = [1, 2];
    const dir = await mkdtemp(join(tmpdir(), 'cli-fixed-'));
    await writeFile(join(dir, 'fixed.onnx'), encodeModel(model));
    const fixed = await cli('run', join(dir, 'fixed.onnx'), '--images', 'tools/fixtures/images', '--json');
    const dynamic = await cli('run', 'tools/fixtures/vit_tiny_op17.onnx', '--images', 'tools/fixtures/images', '--json');
    expect(fixed.code).toBe(0);
    const a = JSON.parse(fixed.stdout) as { logits: number[][] };
    const b = JSON.parse(dynamic.stdout) as { logits: number[][] };
    expect(a.logits).toHaveLength(6);
    a.logits.flat().forEach((v, i) => expect(Math.abs(v - b.logits.flat()[i])).toBeLessThan(1e-5));
  });

  it('names the unsupported op and its node', async () => {
    const model = decodeModel(new Uint8Array(await readFile(join(FIXTURES, 'vit_tiny_op17.onnx'))));
    const softmax = model.graph.nodes.find((n) => n.opType === 'Softmax')!;
    softmax.opType = 'SoftmaxCrossEntropyLoss';
    const dir = await mkdtemp(join(tmpdir(), 'cli-op-'));
    await writeFile(join(dir, 'odd.onnx'), encodeModel(model));
    expectOneErrorLine(await cli('run', join(dir, 'odd.onnx'), '--images', 'tools/fixtures/images'),
      new RegExp(`^error: Unsupported operator SoftmaxCrossEntropyLoss at node "${softmax.name}"`));
  });

  it('refuses images that do not fit the model when resizing is off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-size-'));
    await mkdir(join(dir, 'imgs'));
    await copyFile(join(FIXTURES, 'images_odd/wide_48x40.png'), join(dir, 'imgs/wide_48x40.png'));
    expectOneErrorLine(await cli('run', 'tools/fixtures/vit_tiny_op17.onnx', '--images', join(dir, 'imgs'), '--no-resize'),
      /^error: wide_48x40\.png is 48x40 but the model takes 32x32/);
  });

  it('refuses a --size the model cannot take', async () => {
    expectOneErrorLine(await cli('run', 'tools/fixtures/vit_tiny_op17.onnx', '--images', 'tools/fixtures/images', '--size', '64'), /^error: .*64.*32/);
  });

  it('reports a truncated model file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-trunc-'));
    const bytes = await readFile(join(FIXTURES, 'vit_tiny_op17.onnx'));
    await writeFile(join(dir, 'cut.onnx'), bytes.subarray(0, bytes.length >> 1));
    expectOneErrorLine(await cli('run', join(dir, 'cut.onnx'), '--images', 'tools/fixtures/images'), /^error: cut\.onnx is not an ONNX model: truncated/);
  });
});

describe('cli eval and quantize', () => {
  it('eval prints exactly auc, accuracy and n, agreeing with onnxruntime', async () => {
    const r = await cli('eval', 'tools/fixtures/hf_vit_tiny_op17.onnx', '--data', 'tools/fixtures/labelled', '--json');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, number>;
    expect(Object.keys(got).sort()).toEqual(['accuracy', 'auc', 'n']);
    expect(got.n).toBe(6);

    const sources = listImages(await filesFromDirectory(join(FIXTURES, 'labelled'), { recursive: true }), 'labelled');
    const decoded = await Promise.all(sources.map(async (s) => decodeImageNode(await s.read(), s.name)));
    const pixels = preprocess(decoded, { size: [32, 32], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(new Uint8Array(await readFile(join(FIXTURES, 'hf_vit_tiny_op17.onnx'))), { executionProviders: ['wasm'] });
    const logits = (await session.run({ pixel_values: new ort.Tensor('float32', pixels, [6, 3, 32, 32]) })).logits.data as Float32Array;
    const isFake = sources.map((s) => s.name.startsWith('fake/'));
    const predictedFake = isFake.map((_, i) => logits[2 * i + 1] > logits[2 * i]);
    expect(got.accuracy).toBeCloseTo(predictedFake.filter((p, i) => p === isFake[i]).length / 6, 6);
    const margin = isFake.map((_, i) => logits[2 * i + 1] - logits[2 * i]);
    let pairs = 0;
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (isFake[i] && !isFake[j]) pairs += margin[i] > margin[j] ? 1 : margin[i] === margin[j] ? 0.5 : 0;
    expect(got.auc).toBeCloseTo(pairs / 9, 6);
  });

  it('eval takes the fake class from config.json beside the model, and --fake-index overrides it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-labels-'));
    await copyFile(join(FIXTURES, 'hf_vit_tiny_op17.onnx'), join(dir, 'model.onnx'));
    await copyFile(join(FIXTURES, 'preprocessor_config.json'), join(dir, 'preprocessor_config.json'));
    const evaluate = async (...flags: string[]) => {
      const r = await cli('eval', join(dir, 'model.onnx'), '--data', 'tools/fixtures/labelled', '--json', ...flags);
      expect(r.code).toBe(0);
      return { scores: JSON.parse(r.stdout) as { auc: number; accuracy: number }, stderr: r.stderr };
    };
    const classOne = await evaluate();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ id2label: { 0: 'FAKE', 1: 'REAL' } }));
    const named = await evaluate();
    expect(named.stderr).toBe('note: fake class 0 ("FAKE") as config.json names it; --fake-index overrides\n');
    // Two classes: scoring class 0 as fake reverses the ranking, and every prediction.
    expect(named.scores.auc).toBeCloseTo(1 - classOne.scores.auc, 6);
    expect(named.scores.accuracy).toBeCloseTo(1 - classOne.scores.accuracy, 6);
    const overridden = await evaluate('--fake-index', '1');
    expect(overridden.scores).toEqual(classOne.scores);
    expect(overridden.stderr).toBe('');
    // The transformers.js layout: onnx/model.onnx with config.json one folder up.
    await mkdir(join(dir, 'onnx'));
    await copyFile(join(dir, 'model.onnx'), join(dir, 'onnx/model.onnx'));
    const nested = await cli('eval', join(dir, 'onnx/model.onnx'), '--data', 'tools/fixtures/labelled', '--json');
    expect(JSON.parse(nested.stdout)).toEqual(named.scores);
    expect(nested.stderr).toBe(named.stderr);
  }, 180_000); // five CLI runs: room for a loaded 2-core machine

  it('quantize writes a report with the bits, bytes and layers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-quant-'));
    const report = join(dir, 'r.json');
    const r = await cli('quantize', 'tools/fixtures/vit_tiny_op13.onnx', '--calib', 'tools/fixtures/images', '--method', 'rtn', '--avg-bits', '6', '--report', report);
    expect(r.code).toBe(0);
    const got = JSON.parse(await readFile(report, 'utf8'));
    expect(got.avgBits).toBeLessThanOrEqual(6);
    expect(got.modelBytes).toBeLessThan(got.fpBytes);
    expect(got.layers).toHaveLength(10);
    for (const layer of got.layers) expect(Object.keys(layer)).toEqual(expect.arrayContaining(['name', 'bits', 'params', 'score', 'sqnr']));
    expect(got.settings.method).toBe('rtn');
    expect(Object.keys(got.timings)).toEqual(['calibrate', 'score', 'allocate', 'evaluate']);
  });

  it('refuses a quantize with nowhere to write, and an impossible budget', async () => {
    const none = await cli('quantize', 'tools/fixtures/vit_tiny_op13.onnx', '--calib', 'tools/fixtures/images');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('error: quantize needs --report R.json, --out Q.onnx, --html R.html, or several of them\n');
    expectOneErrorLine(await cli('quantize', 'tools/fixtures/vit_tiny_op13.onnx', '--calib', 'tools/fixtures/images', '--method', 'rtn', '--avg-bits', '1', '--report', '/tmp/x.json'),
      /^error: a budget of 1 bits per weight is infeasible for this model: the least is \d\.\d\d/);
  });
});

