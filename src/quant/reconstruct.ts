import type { GpuContext } from '../gpu/device.ts';
import type { Reconstructor } from './pipeline.ts';
import { learnRounding } from './rounding/gpu.ts';

/** Swap the two axes of a row-major matrix. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * Learned rounding (AdaRound, paper eq. 7-8) for the pipeline, on the GPU. Targets are the FP
 * layer's outputs on FP inputs; the inputs come from the quantized upstream model unless the
 * pipeline says otherwise. With few iterations a larger step than AdaRound's 1e-3 is needed.
 */
export function reconstructor(ctx: GpuContext): Reconstructor {
  return async ({ layer, weight, bits, params, xIn, xFp, iterations, seed, signal }) => {
    const N = layer.outFeatures;
    const K = layer.inFeatures;
    const w = layer.layout === 'KxN' ? transpose(weight, K, N) : weight;
    const R = Math.min(xIn.rows, xFp.rows);
    const y = new Float32Array(R * N);
    for (let r = 0; r < R; r++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += xFp.data[r * K + k] * w[n * K + k];
        y[r * N + n] = acc;
      }
    }
    const result = await learnRounding(ctx, {
      w, N, K, R, x: xIn.data.subarray(0, R * K), y, bits, iterations, seed, signal, lr: 1e-2,
      scales: Float32Array.from(params, (p) => p.scale),
      zeros: Float32Array.from(params, (p) => p.zeroPoint),
    });
    if (result.cancelled) throw new DOMException('reconstruction cancelled', 'AbortError');
    return layer.layout === 'KxN' ? transpose(result.weight, N, K) : result.weight;
  };
}
