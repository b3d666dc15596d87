/**
 * Fake-quant matmul against the plain matmul, on ViT shapes (M = 197 tokens), one device:
 * - fused:         activations and weights quantized inside the tile loads (matmul_quant.wgsl);
 * - pre-quantized: W~ written once per layer (timed apart, "W~ ms"), then matmul_quant.wgsl with
 *                  only the activation quantizer on (and, for comparison, the engine's matmul).
 * `plain` is the engine's matmul (recordMatmul); `plain-q0` is matmul_quant.wgsl with both
 * quantizers off, which isolates what quantizing costs from how the kernel is tiled.
 * The last line is `ratio X`: the geometric mean over shapes of fake-quant GFLOP/s / plain
 * GFLOP/s, for the default path (DEFAULT_FAKE_QUANT_PATH).
 * Query parameters: sizes=192,768,3072 bits=4 act=8 (0 = weight-only) learned=0|1 layout=NxK|KxN repeats=3 warmup=1
 */
import { createGpuContext } from '../src/gpu/device.ts';
import { CommandBatch } from '../src/gpu/encoder.ts';
import { readFloat32 } from '../src/gpu/readback.ts';
import { randomFloats } from '../src/gpu/testing.ts';
import { recordMatmul } from '../src/engine/kernels/matmul.ts';
import { relativeError } from '../src/engine/cpu/matmul.ts';
import { paramsForRange } from '../src/quant/simulation/quantizer.ts';
import type { WeightLayout } from '../src/quant/simulation/fake-quant.ts';
import {
  DEFAULT_FAKE_QUANT_PATH, recordFakeQuantMatmul, recordFakeQuantWeights, recordMatmulQuantA,
} from '../src/quant/simulation/kernels/fake-quant-matmul.ts';
import { geometricMean, medianMs, pad } from './timing.ts';

const params = new URLSearchParams(location.search);
const repeats = Number(params.get('repeats') ?? 3);
const warmup = Number(params.get('warmup') ?? 1);
const sizes = (params.get('sizes') ?? '192,768,3072').split(',').map(Number);
const bits = Number(params.get('bits') ?? 4);
const actBits = Number(params.get('act') ?? 8);
const learned = params.get('learned') === '1';
const layout = (params.get('layout') ?? 'NxK') as WeightLayout;

async function main() {
  const ctx = await createGpuContext();
  const { device, buffers } = ctx;
  console.log(`adapter: ${ctx.summary.vendor} ${ctx.summary.architecture}`);
  console.log(`W${bits}${actBits ? `A${actBits}` : ' weight-only'}, ${learned ? 'learned' : 'nearest'} rounding, ${layout} weights; warmup ${warmup}, median of ${repeats}`);
  const columns = ['plain', 'plain-q0', 'fused', 'pre-q', 'pre-q-eng'];
  console.log('GFLOP/s. plain: engine matmul; plain-q0: matmul_quant.wgsl with both quantizers off; fused: both quantizers in the tile loads;');
  console.log('pre-q: W~ once per layer ("W~ ms"), then matmul_quant.wgsl with only Qa; pre-q-eng: the same on the engine matmul kernel.');
  console.log(`${pad('M', 5)} ${pad('K', 5)} ${pad('N', 5)} ${columns.map((c) => pad(c, 9)).join(' ')} ${pad('fused/pl', 9)} ${pad('pre-q/pl', 9)} ${pad('W~ ms', 7)}`);
  const ratios: Record<string, number[]> = Object.fromEntries(columns.map((c) => [c, []]));
  for (const K of sizes) {
    for (const N of sizes) {
      const M = 197;
      const shape = { M, K, N, layout };
      const w = randomFloats(N * K, 2);
      const channel = (n: number) => paramsForRange(-1, 1 - n / (2 * N), bits);
      const g = {
        x: buffers.upload(randomFloats(M * K, 1)), w: buffers.upload(w), wq: buffers.acquire(N * K * 4),
        y: buffers.acquire(M * N * 4), y2: buffers.acquire(M * N * 4),
        s: buffers.upload(Float32Array.from({ length: N }, (_, n) => channel(n).scale)),
        z: buffers.upload(Float32Array.from({ length: N }, (_, n) => channel(n).zeroPoint)),
        h: buffers.upload(Float32Array.from(randomFloats(N * K, 3), (v) => (v > 0 ? 1 : 0))),
      };
      const weights = { scales: g.s, zeroPoints: g.z, bits, offsets: learned ? g.h : null };
      const act = actBits ? paramsForRange(-1, 1, actBits) : null;
      const time = (record: (b: CommandBatch) => void) => medianMs(async () => {
        const b = new CommandBatch(ctx);
        record(b);
        b.submit();
        await device.queue.onSubmittedWorkDone();
      }, warmup, repeats);
      const weightsMs = await time((b) => recordFakeQuantWeights(ctx, b, g.w, shape, weights, g.wq));
      const ms: Record<string, number> = {
        plain: await time((b) => recordMatmul(ctx, b, g.x, g.w, g.y, { M, K, N, transB: layout === 'NxK' })),
        'plain-q0': await time((b) => recordFakeQuantMatmul(ctx, b, g.x, g.w, g.y, shape, null, null)),
        fused: await time((b) => recordFakeQuantMatmul(ctx, b, g.x, g.w, g.y, shape, weights, act)),
      };
      const fused = await readFloat32(ctx, g.y, M * N);
      ms['pre-q-eng'] = await time((b) => recordMatmulQuantA(ctx, b, g.x, g.wq, g.y, shape, act));
      ms['pre-q'] = await time((b) => recordFakeQuantMatmul(ctx, b, g.x, g.wq, g.y2, shape, null, act));
      const pre = await readFloat32(ctx, g.y2, M * N);
      // A gross-failure guard only (a kernel that did nothing would look fast); agreement with
      // the CPU reference, ties included, is what the GPU tests check.
      const disagreement = relativeError(fused, pre);
      if (!(disagreement < 1e-2)) throw new Error(`fused and pre-quantized paths disagree at ${M}x${K}x${N}: relative error ${disagreement}`);
      for (const b of Object.values(g)) buffers.release(b);

      const gflops = (t: number) => (2 * M * K * N) / t / 1e6;
      for (const c of columns) ratios[c].push(ms.plain / ms[c]);
      console.log(`${pad(M, 5)} ${pad(K, 5)} ${pad(N, 5)} ${columns.map((c) => pad(gflops(ms[c]).toFixed(3), 9)).join(' ')} ${pad((ms.plain / ms.fused).toFixed(2), 9)} ${pad((ms.plain / ms['pre-q']).toFixed(2), 9)} ${pad(weightsMs.toFixed(1), 7)}`);
    }
  }
  console.log(`geometric mean of GFLOP/s over plain: ${columns.slice(1).map((c) => `${c} ${geometricMean(ratios[c]).toFixed(3)}`).join(', ')}`);
  const q0 = geometricMean(ratios['plain-q0']);
  console.log(`against plain-q0 (the cost of quantizing alone): fused ${(geometricMean(ratios.fused) / q0).toFixed(3)}, pre-q ${(geometricMean(ratios['pre-q']) / q0).toFixed(3)}`);
  console.log(`default path: ${DEFAULT_FAKE_QUANT_PATH}`);
  console.log(`ratio ${geometricMean(ratios[DEFAULT_FAKE_QUANT_PATH === 'fused' ? 'fused' : 'pre-q']).toFixed(3)}`);
}

main().then(
  () => console.log('bench:done'),
  (e) => console.log(`bench:failed ${e instanceof Error ? e.message : String(e)}`),
);
