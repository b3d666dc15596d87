/**
 * The commands in-process, with the engine seam replaced by a test double that derives "logits"
 * from the pixels it receives, so we can check what reaches the engine and what gets printed.
 */
import pngjs from 'pngjs';
import { mkdtemp, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../src/data/decode-node.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { parseCommandLine } from './args.ts';
import { execute } from './commands.ts';
import type { CliCore, InputBatch } from './core.ts';

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
