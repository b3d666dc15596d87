import { describe, expect, it } from 'vitest';
import { gpuForTests, randomFloats } from '../../../gpu/testing.ts';
import type { QuantLayer } from '../../../model/layers.ts';
import { perChannelParams } from '../../simulation/quantizer.ts';
import { adaroundReconstructor } from './pipeline-adapter.ts';
import { transpose } from './problem.ts';
import { reconstructLayer } from './reconstruct.ts';

describe('AdaRound as the pipeline reconstructor', () => {
  const N = 8, K = 12, R = 20, bits = 3;
  const w = randomFloats(N * K, 1);
  const x = { rows: R, data: randomFloats(R * K, 2) };
  const layer = { name: 'blocks.0.mlp.fc1', inFeatures: K, outFeatures: N, layout: 'KxN' } as QuantLayer;
  const params = perChannelParams(w, N, K, bits);

  it('returns the learned weight in the stored (KxN) layout, with its up/down counts and its loss against nearest rounding', async () => {
    const ctx = await gpuForTests();
    const seen: string[] = [];
    const reconstruct = adaroundReconstructor(ctx, {}, (name, r) => seen.push(`${name}:${r.iterations}`));
    const got = await reconstruct({ layer, weight: transpose(w, N, K), bits, params, xIn: x, xFp: x, iterations: 30, seed: 3 });
    const want = await reconstructLayer(ctx, { weight: w, N, K, bits, params, xIn: x.data, rows: R, iterations: 30, seed: 3 });
    expect(Array.from(got.weightQ)).toEqual(Array.from(transpose(want.weightQ, N, K)));
    expect({ up: got.roundedUp, down: got.roundedDown }).toEqual({ up: want.roundedUp, down: want.roundedDown });
    expect(got.loss).toEqual({ nearest: want.loss.start, learned: want.loss.end });
    expect(got.loss!.learned).toBeLessThan(got.loss!.nearest);
    expect(seen).toEqual(['blocks.0.mlp.fc1:30']);
  });

  it('rejects with an AbortError when cancelled', async () => {
    const ctx = await gpuForTests();
    const reconstruct = adaroundReconstructor(ctx);
    await expect(reconstruct({ layer, weight: transpose(w, N, K), bits, params, xIn: x, xFp: x, iterations: 30, seed: 3, signal: AbortSignal.abort() }))
      .rejects.toThrow(/reconstruction of blocks.0.mlp.fc1 cancelled/);
  });
});
