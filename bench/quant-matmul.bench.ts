/**
 * The fused fake-quant matmul (activations quantized per tensor inside the product, weights
 * quantized per channel once per layer) against the plain matmul, on ViT shapes, one device.
 */
import { createGpuContext } from '../src/gpu/device.ts';
import { CommandBatch } from '../src/gpu/encoder.ts';
import { randomFloats } from '../src/gpu/testing.ts';
import { recordMatmul } from '../src/engine/kernels/matmul.ts';
import { paramsForRange, perChannelParams } from '../src/quant/quantizer.ts';
import { recordFakeQuantMatmul, recordQuantizedWeights } from '../src/quant/kernels/fake-quant-matmul.ts';
import { geometricMean, medianMs, pad } from './timing.ts';

const params = new URLSearchParams(location.search);
const repeats = Number(params.get('repeats') ?? 3);
const sizes = (params.get('sizes') ?? '192,768,3072').split(',').map(Number);
const bits = Number(params.get('bits') ?? 4);
const actBits = Number(params.get('act') ?? 8);

async function main() {
  const ctx = await createGpuContext();
  const { device, buffers } = ctx;
  console.log(`adapter: ${ctx.summary.vendor} ${ctx.summary.architecture}; W${bits}A${actBits}, median of ${repeats}`);
  console.log(`${pad('M', 6)} ${pad('K', 6)} ${pad('N', 6)} ${pad('plain GFLOP/s', 14)} ${pad('fake-quant', 11)} ${pad('ratio', 6)} ${pad('weights ms', 11)}`);
  const ratios: number[] = [];
  for (const K of sizes) {
    for (const N of sizes) {
      const M = 197;
      const w = randomFloats(N * K, 2);
      const q = perChannelParams(w, N, K, bits);
      const g = {
        x: buffers.upload(randomFloats(M * K, 1)), w: buffers.upload(w), wq: buffers.acquire(N * K * 4), y: buffers.acquire(M * N * 4),
        s: buffers.upload(Float32Array.from(q, (p) => p.scale)), z: buffers.upload(Float32Array.from(q, (p) => p.zeroPoint)),
      };
      const act = paramsForRange(-1, 1, actBits);
      const time = (record: (b: CommandBatch) => void) => medianMs(async () => {
        const b = new CommandBatch(ctx);
        record(b);
        b.submit();
        await device.queue.onSubmittedWorkDone();
      }, 1, repeats);
      const weightsMs = await time((b) => recordQuantizedWeights(ctx, b, g.w, { scales: g.s, zeros: g.z, bits }, N, K, g.wq));
      const plainMs = await time((b) => recordMatmul(ctx, b, g.x, g.w, g.y, { M, K, N, transB: true }));
      const fusedMs = await time((b) => recordFakeQuantMatmul(ctx, b, g.x, g.wq, g.y, { M, K, N }, act));
      const flop = 2 * M * K * N;
      const plain = flop / plainMs / 1e6;
      const fused = flop / fusedMs / 1e6;
      ratios.push(fused / plain);
      console.log(`${pad(M, 6)} ${pad(K, 6)} ${pad(N, 6)} ${pad(plain.toFixed(3), 14)} ${pad(fused.toFixed(3), 11)} ${pad((fused / plain).toFixed(2), 6)} ${pad(weightsMs.toFixed(1), 11)}`);
      for (const b of Object.values(g)) buffers.release(b);
    }
  }
  console.log(`ratio ${geometricMean(ratios).toFixed(3)}`);
}

main().then(
  () => console.log('bench:done'),
  (e) => console.log(`bench:failed ${e instanceof Error ? e.message : String(e)}`),
);
