import { describe, expect, it } from 'vitest';
import { gpuForTests, randomFloats } from '../../gpu/testing.ts';
import { matmulReference, relativeError, type MatmulShape } from '../cpu/matmul.ts';
import { matmulOnGpu, matmulPath } from './matmul.ts';

const cases: { name: string; shape: MatmulShape; bias?: boolean }[] = [
  { name: '1x768x3072 (one token through an MLP)', shape: { M: 1, K: 768, N: 3072 } },
  { name: '197x192x576 (ViT-Tiny qkv), transposed B, bias', shape: { M: 197, K: 192, N: 576, transB: true }, bias: true },
  { name: '2 x 197x768x768 batched, shared weight', shape: { M: 197, K: 768, N: 768, batch: 2, broadcastB: true } },
  { name: '3 x 50x64x50 batched (attention scores), per-batch transposed B', shape: { M: 50, K: 64, N: 50, batch: 3, transB: true } },
  { name: '197x192x2 (classifier), ragged N, transposed B, bias', shape: { M: 197, K: 192, N: 2, transB: true }, bias: true },
  { name: '7x13x5 all ragged, batched', shape: { M: 7, K: 13, N: 5, batch: 2 } },
  // Attention over 65 tokens: K or N odd, per head (ragged path), B shared or transposed.
  { name: '3 x 65x24x65 (scores), ragged N', shape: { M: 65, K: 24, N: 65, batch: 3 } },
  { name: '3 x 65x24x65 (scores, K as N x K), ragged N, transposed B', shape: { M: 65, K: 24, N: 65, batch: 3, transB: true } },
  { name: '3 x 65x65x24 (probabilities times V), ragged K, broadcast A', shape: { M: 65, K: 65, N: 24, batch: 3, broadcastA: true } },
  { name: '2 x 37x70x33 (K past one tile, nothing aligned), transposed B, bias', shape: { M: 37, K: 70, N: 33, batch: 2, transB: true }, bias: true },
];

describe('WGSL matmul against the CPU reference', () => {
  it('runs on a real WebGPU adapter', async () => {
    const ctx = await gpuForTests();
    expect(ctx.summary.features.length).toBeGreaterThan(0);
  });

  for (const { name, shape, bias } of cases) {
    it(name, async () => {
      const ctx = await gpuForTests();
      const batch = shape.batch ?? 1;
      const a = randomFloats((shape.broadcastA ? 1 : batch) * shape.M * shape.K, 1);
      const b = randomFloats((shape.broadcastB ? 1 : batch) * shape.K * shape.N, 2);
      const biasData = bias ? randomFloats(shape.N, 3) : undefined;
      const got = await matmulOnGpu(ctx, a, b, shape, biasData);
      const want = matmulReference(a, b, shape, biasData);
      expect(relativeError(got, want)).toBeLessThan(1e-4);
    });
  }

  it('picks the vec4 kernel only when K and N allow it, the ragged one otherwise', () => {
    expect(matmulPath({ M: 3, K: 768, N: 3072 })).toBe('vec4');
    expect(matmulPath({ M: 3, K: 768, N: 2 })).toBe('ragged');
    expect(matmulPath({ M: 3, K: 13, N: 8 })).toBe('ragged');
    expect(matmulPath({ M: 197, K: 64, N: 197, batch: 12 })).toBe('ragged');
  });

  it('reuses one pipeline per source and constants', async () => {
    const ctx = await gpuForTests();
    const shape = { M: 9, K: 8, N: 8 };
    await matmulOnGpu(ctx, randomFloats(72, 4), randomFloats(64, 5), shape);
    const before = ctx.pipelines.size;
    await matmulOnGpu(ctx, randomFloats(72, 6), randomFloats(64, 7), shape);
    expect(ctx.pipelines.size).toBe(before);
  });
});
