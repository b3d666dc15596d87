/**
 * The commands in-process, with the engine seam replaced by a test double that derives "logits"
 * from the pixels it receives, so we can check what reaches the engine and what gets printed.
 */
import pngjs from 'pngjs';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../src/data/decode-node.ts';
import { GpuDeviceLostError, type GpuContext } from '../src/gpu/device.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { quantizableLayers } from '../src/quant/layers.ts';
import { QuantizeFailure } from '../src/quant/pipeline/quantize.ts';
import type { QuantizeReport } from '../src/quant/report.ts';
import { DEFAULT_SETTINGS } from '../src/quant/settings.ts';
import { parseCommandLine } from './args.ts';
import { execute } from './commands.ts';
import type { CliCore, InputBatch } from './core.ts';
import { describeFailure } from './errors.ts';

const { PNG } = pngjs;
const MODEL = 'tools/fixtures/vit_tiny_op13.onnx'; // input [batch, 3, 32, 32]; config beside it: mean = std = 0.5

function solidPng(size: number, rgb: [number, number, number]): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let i = 0; i < size * size; i++) png.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(png);
}

async function imageDir(files: Record<string, Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cli-images-'));
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
}

/** Logits = the mean of each channel plane: what the engine would see, made visible. */
function recordingCore(seen: InputBatch[], rows?: number): CliCore {
  return {
    inspect: async (m) => ({ json: { file: m.fileName, nodes: m.model.graph.nodes.length }, text: `nodes ${m.model.graph.nodes.length}` }),
    evaluate: async () => {
      throw new Error('not used by these tests');
    },
    quantize: async () => {
      throw new Error('not used by these tests');
    },
    run: async (_ctx, _model, batches) => {
      seen.push(...batches);
      const out: number[][] = [];
      for (const b of batches) {
        const plane = b.dims[2] * b.dims[3];
        for (let n = 0; n < b.dims[0]; n++) {
          out.push([0, 1, 2].map((c) => b.pixels.subarray((n * 3 + c) * plane, (n * 3 + c + 1) * plane).reduce((s, v) => s + v, 0) / plane));
        }
      }
      return rows === undefined ? out : out.slice(0, rows);
    },
  };
}

async function runCli(argv: string[], core: CliCore) {
  let out = '';
  const notes: string[] = [];
  let closed = 0;
  const code = await execute(parseCommandLine(argv).command, {
    core,
    decodeImage: decodeImageNode,
    openGpu: async () => ({ ctx: {} as GpuContext, close: () => void closed++ }),
    out: (t) => (out += t),
    note: (t) => notes.push(t),
  });
  return { code, out, notes, closed };
}

describe('run', () => {
  it('sends sorted, normalised NCHW batches and prints {images, logits}', async () => {
    const dir = await imageDir({
      'c.png': solidPng(32, [255, 0, 0]),
      'a.png': solidPng(32, [0, 255, 0]),
      'b.png': solidPng(40, [0, 0, 255]),
      'notes.txt': Buffer.from('ignored'),
    });
    const seen: InputBatch[] = [];
    const { code, out, closed } = await runCli(['run', MODEL, '--images', dir, '--batch', '2', '--json'], recordingCore(seen));
    expect(code).toBe(0);
    expect(closed).toBe(1);
    expect(seen.map((b) => [b.images, b.dims])).toEqual([[['a.png', 'b.png'], [2, 3, 32, 32]], [['c.png'], [1, 3, 32, 32]]]);
    // 255 → 1, 0 → -1 with mean = std = 0.5; a solid image stays solid through resizing.
    expect(JSON.parse(out)).toEqual({ images: ['a.png', 'b.png', 'c.png'], logits: [[-1, 1, -1], [-1, -1, 1], [1, -1, -1]] });
    expect(out.endsWith('}\n')).toBe(true);
  });

  it('applies --mean and --std over the config', async () => {
    const dir = await imageDir({ 'a.png': solidPng(32, [255, 255, 0]) });
    const { out } = await runCli(['run', MODEL, '--images', dir, '--mean', '0', '--std', '0.25,0.5,1', '--json'], recordingCore([]));
    expect(JSON.parse(out).logits).toEqual([[4, 2, 0]]);
  });

  it('prints one tab-separated line per image without --json, and a note on where settings came from', async () => {
    const dir = await imageDir({ 'x.png': solidPng(32, [255, 0, 0]) });
    const { out, notes } = await runCli(['run', MODEL, '--images', dir], recordingCore([]));
    expect(out).toBe('x.png\t1.000000\t-1.000000\t-1.000000\n');
    expect(notes.join('')).toMatch(/preprocessor_config\.json/);
  });

  it('refuses a result with rows missing', async () => {
    const dir = await imageDir({ 'a.png': solidPng(32, [0, 0, 0]), 'b.png': solidPng(32, [0, 0, 0]) });
    await expect(runCli(['run', MODEL, '--images', dir, '--json'], recordingCore([], 1))).rejects.toThrow('the engine returned 1 rows of logits for 2 images');
  });

  it('names the image that does not fit when resizing is off, before touching the GPU', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-odd-'));
    await copyFile('tools/fixtures/images_odd/wide_48x40.png', join(dir, 'wide_48x40.png'));
    const seen: InputBatch[] = [];
    await expect(runCli(['run', MODEL, '--images', dir, '--no-resize'], recordingCore(seen)))
      .rejects.toThrow('wide_48x40.png is 48x40 but the model takes 32x32; pass --size or enable resizing');
    expect(seen).toEqual([]);
  });

  it('refuses a --size the model cannot take', async () => {
    const dir = await imageDir({ 'a.png': solidPng(32, [0, 0, 0]) });
    await expect(runCli(['run', MODEL, '--images', dir, '--size', '64'], recordingCore([]))).rejects.toThrow(/64x64 \(--size\) but vit_tiny_op13\.onnx takes 32x32; pass --size 32/);
  });
});

describe('inspect', () => {
  it('decodes the model and prints what the core reports', async () => {
    const json = await runCli(['inspect', MODEL, '--json'], recordingCore([]));
    expect(JSON.parse(json.out).file).toBe('vit_tiny_op13.onnx');
    expect(JSON.parse(json.out).nodes).toBeGreaterThan(10);
    const text = await runCli(['inspect', MODEL], recordingCore([]));
    expect(text.out).toMatch(/^nodes \d+\n$/);
  });
});

describe('quantize that fails mid-run', () => {
  const fixture = decodeModel(new Uint8Array(readFileSync(MODEL)));
  const layers = quantizableLayers(fixture);
  /** A run that lost its device in reconstruction, after choosing `planned` layers' widths. */
  function failingCore(planned: number): { core: CliCore; cause: Error } {
    const cause = new GpuDeviceLostError('The GPU device was lost (destroyed); the work in progress was abandoned.');
    const plan = { layers: new Map(layers.slice(0, planned).map((l) => [l.name, { bits: 4, range: 'minmax' as const }])) };
    const report = {
      settings: { ...DEFAULT_SETTINGS, method: 'adaround' as const }, avgBits: 4, modelBytes: 1, fpBytes: 4, layers: [], allocation: null, timings: {},
      completed: ['calibrate', 'score', 'allocate'], cancelled: false, failed: { stage: 'reconstruct', message: cause.message }, evaluation: null, reparameterized: [],
    } as QuantizeReport;
    const core = { ...recordingCore([]), quantize: async () => Promise.reject(new QuantizeFailure(cause, { report, plan, model: fixture, simulated: fixture })) };
    return { core, cause };
  }

  it('writes the partial report with the finished layers\' codes, then fails with the cause', async () => {
    const calib = await imageDir({ 'a.png': solidPng(32, [10, 20, 30]) });
    const out = join(await mkdtemp(join(tmpdir(), 'cli-failed-')), 'r.json');
    const { core, cause } = failingCore(2);
    const notes: string[] = [];
    const run = execute(parseCommandLine(['quantize', MODEL, '--calib', calib, '--method', 'adaround', '--report', out]).command, {
      core, decodeImage: decodeImageNode, openGpu: async () => ({ ctx: {} as GpuContext, close: () => undefined }), out: () => undefined, note: (t) => notes.push(t),
    });
    await expect(run).rejects.toBe(cause);
    const saved = JSON.parse(readFileSync(out, 'utf8'));
    expect(saved.failed).toEqual({ stage: 'reconstruct', message: cause.message });
    expect(saved.completed).toEqual(['calibrate', 'score', 'allocate']);
    expect(saved.export.layers.map((l: { name: string }) => l.name)).toEqual(layers.slice(0, 2).map((l) => l.name));
    expect(notes.at(-1)).toBe(`the run failed in its reconstruct stage; the stages that finished (calibrate, score, allocate) are in ${out}`);
    expect(describeFailure(cause).line).toBe(`error: ${cause.message}`);
  });

  it('writes no codes when no width was chosen yet', async () => {
    const calib = await imageDir({ 'a.png': solidPng(32, [10, 20, 30]) });
    const out = join(await mkdtemp(join(tmpdir(), 'cli-failed-')), 'r.json');
    const { core, cause } = failingCore(0);
    const run = execute(parseCommandLine(['quantize', MODEL, '--calib', calib, '--report', out]).command, {
      core, decodeImage: decodeImageNode, openGpu: async () => ({ ctx: {} as GpuContext, close: () => undefined }), out: () => undefined, note: () => undefined,
    });
    await expect(run).rejects.toBe(cause);
    const saved = JSON.parse(readFileSync(out, 'utf8'));
    expect(saved.failed.stage).toBe('reconstruct');
    expect(saved.export).toBeUndefined();
  });
});
