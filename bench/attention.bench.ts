/**
 * Attention's batched products (one per head) over 65 and 197 tokens, where K or N is odd: the
 * kernel the engine picks for them, checked against the CPU reference, against the vec4 kernel on
 * the nearest aligned shape (tokens rounded up to a multiple of 4) on the same device.
 * Run: npm run bench -- attention [turns=5 tiles=8,8,32]
 */
import { createGpuContext } from '../src/gpu/device.ts';
import { CommandBatch } from '../src/gpu/encoder.ts';
import { readFloat32 } from '../src/gpu/readback.ts';
import { randomFloats } from '../src/gpu/testing.ts';
import { DEFAULT_TILES, matmulPath, recordMatmul, type MatmulPath, type MatmulShape, type MatmulTiles } from '../src/engine/kernels/matmul.ts';
import { matmulReference, relativeError } from '../src/engine/cpu/matmul.ts';
import { clockName, msPerRun } from './cpu-clock.ts';
import { pad } from './timing.ts';

const params = new URLSearchParams(location.search);
const turns = Number(params.get('turns') ?? 5);
const tileParam = params.get('tiles')?.split(',').map(Number);
const tiles: MatmulTiles = tileParam ? { wgX: tileParam[0], wgY: tileParam[1], tileK: tileParam[2] } : DEFAULT_TILES;

/** [name, heads, tokens, head dim] */
const MODELS: [string, number, number, number][] = [['face detector', 4, 65, 24], ['ViT-B/16', 12, 197, 64]];

function shapes(heads: number, T: number, d: number): [string, MatmulShape][] {
  return [
    ['Q·Kᵀ', { M: T, K: d, N: T, batch: heads }],
    ['Q·Kᵀ (K as N x K)', { M: T, K: d, N: T, batch: heads, transB: true }],
    ['P·V', { M: T, K: T, N: d, batch: heads }],
  ];
}

const align4 = (s: MatmulShape): MatmulShape => ({ ...s, K: Math.ceil(s.K / 4) * 4, N: Math.ceil(s.N / 4) * 4 });

interface Prepared { run: () => Promise<void>; check: () => Promise<number>; flop: number; release: () => void }

async function prepare(shape: MatmulShape, path: MatmulPath): Promise<Prepared> {
  const ctx = await context;
  const batch = shape.batch ?? 1;
  const a = randomFloats(batch * shape.M * shape.K, 1);
  const b = randomFloats(batch * shape.K * shape.N, 2);
  const ga = ctx.buffers.upload(a);
  const gb = ctx.buffers.upload(b);
  const gc = ctx.buffers.acquire(batch * shape.M * shape.N * 4);
  const run = async () => {
    const cmd = new CommandBatch(ctx);
    recordMatmul(ctx, cmd, ga, gb, gc, shape, null, tiles, null, path);
    cmd.submit();
    await ctx.device.queue.onSubmittedWorkDone();
  };
  return {
    run,
    check: async () => relativeError(await readFloat32(ctx, gc, batch * shape.M * shape.N), matmulReference(a, b, shape)),
    flop: 2 * batch * shape.M * shape.N * shape.K,
    release: () => [ga, gb, gc].forEach((buf) => ctx.buffers.release(buf)),
  };
}

const context = createGpuContext();

async function main() {
  const ctx = await context;
  console.log(`adapter: ${ctx.summary.vendor} ${ctx.summary.architecture}; ${turns} turns each, timed by ${await clockName()}; tiles ${JSON.stringify(tiles)}; GFLOP/s`);
  console.log(`${'product'.padEnd(40)} ${pad('kernel', 14)} ${pad('GFLOP/s', 8)} ${pad('vec4 aligned', 13)} ${pad('ratio', 6)}`);
  for (const [model, heads, T, d] of MODELS) {
    for (const [name, shape] of shapes(heads, T, d)) {
      const runners = [await prepare(shape, matmulPath(shape)), await prepare(align4(shape), 'vec4')];
      try {
        await runners[0].run();
        const err = await runners[0].check();
        if (!(err < 1e-4)) throw new Error(`${name}: the kernel disagrees with the CPU reference (${err})`);
        const [odd, aligned] = (await msPerRun(runners, { turns })).map((ms, k) => runners[k].flop / ms / 1e6);
        console.log(`${`${model} ${name} ${shape.batch}x${shape.M}x${shape.K}x${shape.N}`.padEnd(40)} ${pad(matmulPath(shape), 14)} ${pad(odd.toFixed(3), 8)} ${pad(aligned.toFixed(3), 13)} ${pad((odd / aligned).toFixed(2), 6)}`);
      } finally {
        runners.forEach((r) => r.release());
      }
    }
  }
}

main().then(
  () => console.log('bench:done'),
  (e) => console.log(`bench:failed ${e instanceof Error ? e.message : String(e)}`),
);
