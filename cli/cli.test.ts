/** The CLI as users run it: a child process, checking exit codes, stdout and stderr. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAWN_POLL_MS } from './node-gpu.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const MODEL = 'tools/fixtures/vit_tiny_op13.onnx';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function node(args: string[], loader = ['--import', './cli/register.mjs']): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...loader, ...args], { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const cli = (...args: string[]) => node(['cli/main.ts', ...args]);

/** Exactly one `error: ...` line on stderr, nothing on stdout, no stack trace. */
function expectOneErrorLine(r: Result, code: number, message: string | RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  if (typeof message === 'string') expect(lines[0]).toBe(`error: ${message}`);
  else expect(lines[0]).toMatch(message);
}

describe('cli', () => {
  it('rejects an unknown command with exit code 2', async () => {
    expectOneErrorLine(await cli('quantise'), 2, 'unknown command "quantise"; expected gpu, inspect, run, eval, quantize, export, report or explain (see --help)');
  });

  it('reports a missing model file', async () => {
    expectOneErrorLine(await cli('inspect', 'no/such/model.onnx'), 1, 'model file no/such/model.onnx does not exist');
  });

  it('reports a folder given as the model', async () => {
    expectOneErrorLine(await cli('run', 'tools/fixtures', '--images', 'tools/fixtures/images'), 1, 'model file tools/fixtures is a folder, not a file');
  });

  it('reports a text file given as the model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-text-'));
    await writeFile(join(dir, 'model.onnx'), 'name,score\nalice,3\n');
    expectOneErrorLine(await cli('inspect', join(dir, 'model.onnx')), 1, /^error: model\.onnx is not an ONNX model: it is a text file/);
  });

  it('reports random bytes given as the model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-random-'));
    await writeFile(join(dir, 'noise.onnx'), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 197 + 13) % 256)));
    expectOneErrorLine(await cli('inspect', join(dir, 'noise.onnx')), 1, /^error: noise\.onnx is not an ONNX model/);
  });

  it('names the image that fails to decode', async () => {
    expectOneErrorLine(await cli('run', MODEL, '--images', 'tools/fixtures/images_odd', '--json'), 1, 'broken.jpg could not be decoded: truncated JPEG data');
  });

  it('reports a folder without images', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-empty-'));
    await writeFile(join(dir, 'readme.txt'), 'no pictures here');
    expectOneErrorLine(await cli('run', MODEL, '--images', dir), 1, `no images in ${dir} (looked for .jpg, .jpeg, .png, .webp, .bmp, .gif files)`);
  });

  it('shows the stack only with --debug', async () => {
    const r = await cli('inspect', 'missing.onnx', '--debug');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: model file missing\.onnx does not exist\n/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('prints the WebGPU adapter as JSON through Dawn, with a quiet stderr', async () => {
    const r = await cli('gpu', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const adapter = JSON.parse(r.stdout);
    expect(adapter.vendor).not.toBe('unknown');
    expect(adapter.description.length).toBeGreaterThan(0);
    expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(adapter.features)).toBe(true);
  });

  it('runs the engine kernels in Node: ?raw WGSL imports and a matmul on Dawn match the CPU reference', async () => {
    const r = await node(['cli/smoke-matmul.ts']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.shapes).toBe(2);
    expect(result.maxError).toBeLessThan(1e-5);
    // Dawn polls the device while a promise is pending; paced (node-gpu.ts), at most once a millisecond.
    expect(result.waitMs).toBeGreaterThan(0);
    expect(result.polls).toBeLessThanOrEqual(result.waitMs / DAWN_POLL_MS + 5);
  });
});

describe('npm run cli', () => {
  it('runs a bundle built from the sources, which answers as the sources do', async () => {
    const built = await node(['cli/build.mjs'], []);
    expect(built).toEqual({ code: 0, stdout: '', stderr: '' });
    for (const args of [['inspect', MODEL, '--json'], ['quantize', MODEL, '--calib', 'nowhere']]) {
      const bundled = await node(['.cli-build/main.mjs', ...args], []);
      expect(bundled).toEqual(await cli(...args));
    }
  });
});
