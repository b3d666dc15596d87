import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../../gpu/device.ts';
import { CommandBatch } from '../../../gpu/encoder.ts';
import { readFloat32 } from '../../../gpu/readback.ts';
import { gpuForTests, randomFloats } from '../../../gpu/testing.ts';
import {
  distanceToRoundingBoundary, fakeQuantActivations, fakeQuantMatmulReference, fakeQuantWeights,
  type QuantMatmulShape, type WeightQuant,
} from '../fake-quant.ts';
import { paramsForRange, type QuantParams } from '../quantizer.ts';
import { recordFakeQuantMatmul, recordFakeQuantWeights, recordMatmulQuantA } from './fake-quant-matmul.ts';

/**
 * Tolerance. Quantization is float32 step for step on both sides, so W~ and Qa(X) agree bit for
 * bit except where WGSL's division (2.5 ulp allowed) lands x/s on the other side of a rounding
 * boundary (half-integers for nearest rounding, integers for the floor of learned rounding). Such
 * an element may be one level apart; every other element must agree exactly. Y may then differ
 * from the reference by the accumulation error (1e-4 of max |Y|) plus, for each near-boundary
 * operand in the dot product, one level times the other operand. Near-boundary elements must stay rare,
 * or the check would say little.
 */
const nearBoundary = (r: number, learned: boolean) => distanceToRoundingBoundary(r, learned) <= 3 * 2 ** -23 * Math.abs(r);

interface Case {
  x: Float32Array;
  w: Float32Array;
  shape: QuantMatmulShape;
  q: WeightQuant;
  act: QuantParams | null;
  bias?: Float32Array;
}

function nearFlags(c: Case): { x: Uint8Array; w: Uint8Array; count: number } {
  const { K, N, layout } = c.shape;
  const learned = !!c.q.offsets;
  const x = Uint8Array.from(c.x, (v) => (c.act && nearBoundary(v / c.act.scale, false) ? 1 : 0));
  const w = Uint8Array.from(c.w, (v, i) => {
    const n = layout === 'NxK' ? Math.floor(i / K) : i % N;
    return nearBoundary(v / c.q.scales[n], learned) ? 1 : 0;
  });
  return { x, w, count: x.reduce((s, v) => s + v, 0) + w.reduce((s, v) => s + v, 0) };
}

/** Checks Y from the GPU against the reference within the bound above; returns the near-boundary count. */
function expectCloseToReference(c: Case, y: Float32Array): number {
  const { M, K, N, layout } = c.shape;
  const want = fakeQuantMatmulReference(c.x, c.w, c.shape, c.q, c.act, c.bias);
  const wq = fakeQuantWeights(c.w, c.shape, c.q);
  const xq = c.act ? fakeQuantActivations(c.x, c.act) : c.x;
  const near = nearFlags(c);
  expect(near.count).toBeLessThanOrEqual(Math.max(2, 1e-3 * (c.x.length + c.w.length)));
  const accTol = 1e-4 * want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const sa = c.act?.scale ?? 0;
  let worst = 0;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let allowance = 0;
      if (near.count > 0) {
        for (let k = 0; k < K; k++) {
          const wi = layout === 'NxK' ? n * K + k : k * N + n;
          if (near.x[m * K + k]) allowance += sa * (Math.abs(wq[wi]) + c.q.scales[n]);
          if (near.w[wi]) allowance += c.q.scales[n] * (Math.abs(xq[m * K + k]) + sa);
        }
      }
      const excess = Math.abs(y[m * N + n] - want[m * N + n]) - (accTol + allowance);
      worst = Math.max(worst, excess);
    }
  }
  expect(worst).toBeLessThanOrEqual(0);
  return near.count;
}

/** W~ from the GPU must equal the reference except, by one level, at near-boundary weights. */
function expectWeightsMatch(c: Case, wqGpu: Float32Array): void {
  const wq = fakeQuantWeights(c.w, c.shape, c.q);
  const near = nearFlags(c);
  let flips = 0;
  wqGpu.forEach((v, i) => {
    if (v === wq[i]) return;
    const n = c.shape.layout === 'NxK' ? Math.floor(i / c.shape.K) : i % c.shape.N;
    expect(near.w[i], `weight ${i}: GPU ${v} vs reference ${wq[i]}`).toBe(1);
    expect(Math.abs(Math.abs(v - wq[i]) / c.q.scales[n] - 1)).toBeLessThan(1e-4);
    flips++;
  });
  expect(flips).toBeLessThanOrEqual(near.count);
}

/** Per-channel scales and zero points from each channel's range, shrunk on odd channels so that clamping happens. */
function channelQuant(w: Float32Array, shape: QuantMatmulShape, bits: number, offsets?: Float32Array): WeightQuant {
  const { K, N, layout } = shape;
  const lo = new Float64Array(N).fill(Infinity);
  const hi = new Float64Array(N).fill(-Infinity);
  w.forEach((v, i) => {
    const n = layout === 'NxK' ? Math.floor(i / K) : i % N;
    lo[n] = Math.min(lo[n], v);
    hi[n] = Math.max(hi[n], v);
  });
  const params = Array.from({ length: N }, (_, n) => paramsForRange(lo[n] * (n % 2 ? 0.6 : 1), hi[n] * (n % 2 ? 0.6 : 1), bits));
  return { scales: Float32Array.from(params, (p) => p.scale), zeroPoints: Float32Array.from(params, (p) => p.zeroPoint), bits, offsets };
}

async function runOnGpu(ctx: GpuContext, c: Case, path: 'fused' | 'prequantized' | 'prequantized-engine'): Promise<{ y: Float32Array; wq?: Float32Array }> {
  const { M, K, N } = c.shape;
  const b = ctx.buffers;
  const g = {
    x: b.upload(c.x), w: b.upload(c.w), y: b.acquire(M * N * 4), wq: b.acquire(K * N * 4),
    s: b.upload(c.q.scales), z: b.upload(c.q.zeroPoints),
    h: c.q.offsets ? b.upload(c.q.offsets) : null, bias: c.bias ? b.upload(c.bias) : null,
  };
  try {
    const weights = { scales: g.s, zeroPoints: g.z, bits: c.q.bits, offsets: g.h };
    const batch = new CommandBatch(ctx);
    if (path === 'fused') recordFakeQuantMatmul(ctx, batch, g.x, g.w, g.y, c.shape, weights, c.act, g.bias);
    else {
      recordFakeQuantWeights(ctx, batch, g.w, c.shape, weights, g.wq);
      if (path === 'prequantized') recordFakeQuantMatmul(ctx, batch, g.x, g.wq, g.y, c.shape, null, c.act, g.bias);
      else recordMatmulQuantA(ctx, batch, g.x, g.wq, g.y, c.shape, c.act, g.bias);
    }
    batch.submit();
    const y = await readFloat32(ctx, g.y, M * N);
    return path === 'fused' ? { y } : { y, wq: await readFloat32(ctx, g.wq, K * N) };
  } finally {
    for (const buf of Object.values(g)) if (buf) b.release(buf);
  }
}

const shapes = [
  { M: 197, K: 192, N: 576 },
  { M: 7, K: 13, N: 5 },
  { M: 1, K: 768, N: 3072 },
];
const variants = [
  { name: 'nearest, A8', learned: null, actBits: 8 },
  { name: 'learned h in {0,1}, A4', learned: 'hard', actBits: 4 },
  { name: 'nearest, weight-only', learned: null, actBits: 0 },
  { name: 'soft learned h in [0,1], A6, bias', learned: 'soft', actBits: 6 },
] as const;

function makeCase(dims: { M: number; K: number; N: number }, layout: 'NxK' | 'KxN', bits: number, v: (typeof variants)[number], seed: number): Case {
  const shape = { ...dims, layout };
  const count = dims.K * dims.N;
  const h = randomFloats(count, seed + 3);
  const offsets = v.learned === 'hard' ? Float32Array.from(h, (u) => (u > 0 ? 1 : 0)) : v.learned === 'soft' ? Float32Array.from(h, (u) => (u + 1) / 2) : undefined;
  const w = randomFloats(count, seed + 1);
  return {
    x: randomFloats(dims.M * dims.K, seed),
    w,
    shape,
    q: channelQuant(w, shape, bits, offsets),
    act: v.actBits ? paramsForRange(-0.7, 0.9, v.actBits) : null,
    bias: v.name.includes('bias') ? randomFloats(dims.N, seed + 2) : undefined,
  };
}

describe('fused fake-quant matmul (matmul_quant.wgsl) against the CPU reference', () => {
  let seed = 10;
  for (const dims of shapes) {
    for (const bits of [2, 3, 4, 8]) {
      for (const [vi, v] of variants.entries()) {
        // Every combination on the small shapes; the big ones alternate layouts, and the one-token
        // shape (quick on the GPU, but 2.4M weights for the CPU reference) takes one width per variant.
        if (dims.M === 1 && bits !== [2, 3, 4, 8][vi]) continue;
        const layouts = dims.M * dims.K * dims.N > 1e5 ? [(vi + bits) % 2 ? 'KxN' : 'NxK'] as const : (['NxK', 'KxN'] as const);
        for (const layout of layouts) {
          const s = (seed += 10);
          it(`${dims.M}x${dims.K}x${dims.N} ${layout}, W${bits} ${v.name}`, async () => {
            const ctx = await gpuForTests();
            const c = makeCase(dims, layout, bits, v, s);
            const { y } = await runOnGpu(ctx, c, 'fused');
            expectCloseToReference(c, y);
          });
        }
      }
    }
  }

  it('rounds exact ties to even in both quantizers (power-of-two scales make the division exact)', async () => {
    const ctx = await gpuForTests();
    const shape: QuantMatmulShape = { M: 9, K: 20, N: 6, layout: 'NxK' };
    const half = (n: number, seed: number, step: number) => Float32Array.from(randomFloats(n, seed), (u) => (Math.round(u * 6) + 0.5) * step);
    const c: Case = {
      x: half(shape.M * shape.K, 1, 2 ** -3), w: half(shape.K * shape.N, 2, 2 ** -4), shape,
      q: { scales: new Float32Array(shape.N).fill(2 ** -4), zeroPoints: Float32Array.from({ length: shape.N }, (_, n) => 4 + n), bits: 4 },
      act: { scale: 2 ** -3, zeroPoint: 7, bits: 4 },
    };
    // Every operand sits on a tie and every product and partial sum is exact in float32, so Y must match exactly.
    const want = fakeQuantMatmulReference(c.x, c.w, shape, c.q, c.act);
    const { y } = await runOnGpu(ctx, c, 'fused');
    expect(Array.from(y)).toEqual(Array.from(want));
    // The data discriminates: rounding half away from zero would quantize some activations differently.
    const xq = fakeQuantActivations(c.x, c.act!);
    const away = c.x.map((v) => (Math.min(Math.max(Math.sign(v) * Math.round(Math.abs(v) / 2 ** -3) + 7, 0), 15) - 7) * 2 ** -3);
    expect(away.some((v, i) => v !== xq[i])).toBe(true);
  });
});

describe('pre-quantized weights (quant_weights.wgsl) then Qa fused into the product', () => {
  const cases = [
    { dims: { M: 197, K: 192, N: 576 }, layout: 'NxK', bits: 4, v: variants[0] },
    { dims: { M: 197, K: 192, N: 576 }, layout: 'KxN', bits: 3, v: variants[1] },
    { dims: { M: 7, K: 13, N: 5 }, layout: 'KxN', bits: 2, v: variants[3] },
    { dims: { M: 7, K: 13, N: 5 }, layout: 'NxK', bits: 8, v: variants[2] },
    { dims: { M: 1, K: 768, N: 3072 }, layout: 'KxN', bits: 8, v: variants[0] },
  ] as const;
  cases.forEach(({ dims, layout, bits, v }, i) => {
    for (const path of ['prequantized', 'prequantized-engine'] as const) {
      it(`${dims.M}x${dims.K}x${dims.N} ${layout}, W${bits} ${v.name}, on ${path === 'prequantized' ? 'matmul_quant.wgsl' : 'the engine matmul'}`, async () => {
        const ctx = await gpuForTests();
        const c = makeCase(dims, layout, bits, v, 1000 + 10 * i);
        const { y, wq } = await runOnGpu(ctx, c, path);
        expectWeightsMatch(c, wq!);
        expectCloseToReference(c, y);
      });
    }
  });
});

describe('fake-quant matmul input checks', () => {
  it('rejects bad bit widths and short buffers with a clear message', async () => {
    const ctx = await gpuForTests();
    const b = ctx.buffers;
    const x = b.acquire(4 * 32 * 4);
    const w = b.acquire(32 * 32 * 4);
    const s = b.acquire(32 * 4);
    const batch = new CommandBatch(ctx);
    const shape: QuantMatmulShape = { M: 4, K: 32, N: 32, layout: 'NxK' };
    try {
      expect(() => recordFakeQuantMatmul(ctx, batch, x, w, x, shape, { scales: s, zeroPoints: s, bits: 9 }, null)).toThrow(/weight bits must be/);
      expect(() => recordFakeQuantMatmul(ctx, batch, x, w, x, shape, { scales: s, zeroPoints: s, bits: 4 }, { scale: 1, zeroPoint: 0, bits: 1 })).toThrow(/activation bits/);
      expect(() => recordFakeQuantMatmul(ctx, batch, x, w, x, { ...shape, K: 1000 }, null, null)).toThrow(/input buffer holds \d+ bytes, needs 16000/);
      expect(() => recordFakeQuantWeights(ctx, batch, w, { K: 32, N: 32, layout: 'NxK' }, { scales: s, zeroPoints: s, bits: 4, offsets: s }, w)).toThrow(/rounding offset buffer/);
      expect(batch.length).toBe(0);
    } finally {
      for (const buf of [x, w, s]) b.release(buf);
    }
  });
});
