import { describe, expect, it } from 'vitest';
import { matmulReference, relativeError } from '../../engine/cpu/matmul.ts';
import { CommandBatch } from '../../gpu/encoder.ts';
import { readFloat32 } from '../../gpu/readback.ts';
import { gpuForTests, randomFloats } from '../../gpu/testing.ts';
import { fakeQuantize, paramsForRange, perChannelParams, type QuantParams } from '../quantizer.ts';
import { fakeQuantMatmulReference, recordFakeQuantMatmul, recordQuantizedWeights } from './fake-quant-matmul.ts';

const shapes = [
  { M: 197, K: 192, N: 576 },
  { M: 7, K: 13, N: 5 },
  { M: 1, K: 768, N: 3072 },
];

describe('fused fake-quant matmul against the CPU reference', () => {
  for (const shape of shapes) {
    for (const bits of [2, 3, 4, 8]) {
      for (const variant of ['nearest, A8', 'learned, A4', 'nearest, weights only'] as const) {
        if (shape.M === 1 && bits !== 4) continue; // the big shape once is enough
        it(`${shape.M}x${shape.K}x${shape.N}, W${bits} ${variant}`, async () => {
          const ctx = await gpuForTests();
          const { M, K, N } = shape;
          const x = randomFloats(M * K, bits);
          const w = randomFloats(N * K, 100 + bits);
          const weights: QuantParams[] = perChannelParams(w, N, K, bits);
          const act = variant.includes('A8') ? paramsForRange(-1, 1, 8) : variant.includes('A4') ? paramsForRange(-1, 1, 4) : null;
          const offsets = variant.startsWith('learned') ? Float32Array.from(randomFloats(N * K, 7), (v) => (v > 0 ? 1 : 0)) : undefined;
          const want = fakeQuantMatmulReference(x, w, shape, weights, act, offsets);

          const b = ctx.buffers;
          const g = {
            x: b.upload(x), w: b.upload(w), wq: b.acquire(N * K * 4), y: b.acquire(M * N * 4),
            s: b.upload(Float32Array.from(weights, (p) => p.scale)), z: b.upload(Float32Array.from(weights, (p) => p.zeroPoint)),
            h: offsets ? b.upload(offsets) : null,
          };
          const batch = new CommandBatch(ctx);
          recordQuantizedWeights(ctx, batch, g.w, { scales: g.s, zeros: g.z, offsets: g.h ?? undefined, bits }, N, K, g.wq);
          recordFakeQuantMatmul(ctx, batch, g.x, g.wq, g.y, shape, act);
          batch.submit();
          const wq = await readFloat32(ctx, g.wq, N * K);
          const y = await readFloat32(ctx, g.y, M * N);
          for (const buf of Object.values(g)) if (buf) b.release(buf);

          // A weight exactly at a rounding tie may land one level apart (WGSL division is not
          // correctly rounded); anything else must agree bit for bit.
          let flips = 0;
          wq.forEach((v, i) => {
            if (v === want.wq[i]) return;
            const p = weights[Math.floor(i / K)];
            const r = w[i] / p.scale;
            expect(Math.abs(Math.abs(r - Math.floor(r)) - 0.5)).toBeLessThan(1e-4);
            flips++;
          });
          expect(flips).toBeLessThanOrEqual(3);
          expect(relativeError(y, flips ? recomputed(x, wq, shape, act) : want.y)).toBeLessThan(1e-4);
        });
      }
    }
  }
});

/** Y from the GPU's own quantized weights, for the rare case where a tie rounded differently. */
function recomputed(x: Float32Array, wq: Float32Array, shape: { M: number; K: number; N: number }, act: QuantParams | null): Float32Array {
  const xq = act ? x.map((v) => fakeQuantize(v, act)) : x;
  return matmulReference(xq, wq, { ...shape, transB: true });
}
