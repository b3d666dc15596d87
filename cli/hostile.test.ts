/**
 * The CLI on hostile input, in-process through runCli: every refusal is one `error:` line with
 * exit 1, no "unexpected" label, nothing on stdout, before any engine work. The corpus under
 * tools/fuzz/corpus holds minimal reproducers of what the fuzz harness found.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../src/onnx/decode.ts';
import { encodeModel } from '../src/onnx/encode.ts';
import { i64, node, valueInfo } from '../src/onnx/testing.ts';
import { quantizableLayers } from '../src/quant/layers.ts';
import { DEFAULT_SETTINGS } from '../src/quant/settings.ts';
import { leastFeasibleBudget } from '../src/quant/feasibility.ts';
import { allocateBits } from '../src/quant/allocation/allocate.ts';
import { runCli } from './run.ts';

const noGpu = async () => {
  throw new Error('the GPU must not be opened for a refused input');
};

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  let stdout = '';
  let stderr = '';
  const started = performance.now();
  const code = await runCli(argv, { stdout: async (t) => void (stdout += t), stderr: async (t) => void (stderr += t) }, { openGpu: noGpu });
  return { code, stdout, stderr, ms: performance.now() - started };
}

function expectCleanRefusal(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toContain('unexpected');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect([r.code, r.stdout]).toEqual([1, '']);
}

describe('an infeasible budget', () => {
  it('is refused in under a second, before any image is read, with the least feasible value', async () => {
    const model = decodeModel(new Uint8Array(readFileSync('tools/fixtures/swin_tiny_op17.onnx')));
    const least = leastFeasibleBudget(model, { candidates: [2, 3, 4, 6, 8], storage: 'true-width' as const, floatParams: 'fp16' as const });
    const r = await cli(['quantize', 'tools/fixtures/swin_tiny_op17.onnx', '--calib', '/nonexistent/folder', '--avg-bits', '1', '--float-params', 'fp16', '--report', '/nonexistent/r.json']);
    expectCleanRefusal(r, new RegExp(`^error: a budget of 1 bits per weight is infeasible for this model: the least is ${(Math.ceil(least * 100) / 100).toFixed(2)} \\(every layer at 2 bits`));
    expect(r.ms).toBeLessThan(1000);
  });

  it('gives the value at which the allocator itself succeeds, and below which it fails', () => {
    const model = decodeModel(new Uint8Array(readFileSync('tools/fixtures/vit_tiny_op17.onnx')));
    const least = leastFeasibleBudget(model, { candidates: [2, 4, 8], storage: 'true-width' as const, floatParams: 'fp32' as const });
    const layers = quantizableLayers(model).map((l) => ({ params: l.inFeatures * l.outFeatures, outFeatures: l.outFeatures, biasCount: l.params - l.inFeatures * l.outFeatures }));
    const problem = (budget: number) => ({ layers, scores: layers.map(() => 1), budget, candidates: [2, 4, 8] });
    expect(allocateBits(problem(least)).bits.every((b) => b === 2)).toBe(true);
    expect(() => allocateBits(problem(least * 0.999))).toThrow(/infeasible/);
    expect(DEFAULT_SETTINGS.candidates).toContain(2);
  });
});

describe('hostile files through the CLI', () => {
  it('refuses an image bomb and a broken graph with one clean line each', async () => {
    const { ihdrChunk, pngChunk, pngFile } = await import('../src/data/testing.ts');
    const { zlibSync } = await import('fflate');
    const dir = await mkdtemp(join(tmpdir(), 'hostile-'));
    await writeFile(join(dir, 'bomb.png'), pngFile(ihdrChunk(1, 100_000_000), pngChunk('IDAT', zlibSync(new Uint8Array(4))), pngChunk('IEND')));
    expectCleanRefusal(await cli(['run', 'tools/fixtures/vit_tiny_op17.onnx', '--images', dir, '--json']), /^error: bomb\.png could not be decoded: the image declares 1x100000000 pixels/);

    const model = decodeModel(new Uint8Array(readFileSync('tools/fixtures/vit_tiny_op17.onnx')));
    model.graph.initializers.set('s', i64('s', [1], [2 ** 40]));
    model.graph.nodes.push(node('ConstantOfShape', ['s'], ['huge'], {}, 'bomb\u001b[2J'));
    model.graph.outputs.push(valueInfo('huge', null));
    await writeFile(join(dir, 'bomb.onnx'), encodeModel(model));
    for (const command of ['inspect', 'run']) {
      const r = await cli(command === 'run' ? ['run', join(dir, 'bomb.onnx'), '--images', dir] : ['inspect', join(dir, 'bomb.onnx')]);
      expectCleanRefusal(r, /^error: bomb\.onnx: node "bomb\\x1b\[2J" \(ConstantOfShape\) gives "huge" 1099511627776 elements/);
    }
  });

  it('keeps library warnings off stdout (--json stays parseable)', async () => {
    const { gifFile } = await import('../src/data/testing.ts');
    const dir = await mkdtemp(join(tmpdir(), 'hostile-gif-'));
    await writeFile(join(dir, 'short.gif'), gifFile([8, 8], [{ x: 0, y: 0, w: 8, h: 8 }]));
    expectCleanRefusal(await cli(['run', 'tools/fixtures/vit_tiny_op17.onnx', '--images', dir, '--json']), /^error: short\.gif could not be decoded: corrupt GIF data \(gif stream shorter than expected\)/);
  });

  const corpus = 'tools/fuzz/corpus';
  for (const file of readdirSync(corpus).filter((f) => !f.endsWith('.txt')).sort()) {
    it(`corpus: ${file}`, async () => {
      const [expected, ...argv] = readFileSync(join(corpus, `${file}.txt`), 'utf8').trim().split('\n');
      const dir = await mkdtemp(join(tmpdir(), 'corpus-'));
      const isModel = file.endsWith('.onnx');
      await copyFile(join(corpus, file), join(dir, isModel ? 'model.onnx' : file));
      const args = argv.join(' ').replaceAll('MODEL', join(dir, 'model.onnx')).replaceAll('DIR', dir).split(' ');
      expectCleanRefusal(await cli(args), new RegExp(expected!));
    });
  }
});
