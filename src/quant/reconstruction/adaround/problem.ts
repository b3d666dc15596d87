import { roundHalfEven } from '../../../onnx/ops/math.ts';
import { levels, perChannelParams, type QuantParams } from '../../simulation/quantizer.ts';
import { vForFraction } from './settings.ts';

/** How a weight is stored: 'NxK' = output channels as rows (a Linear/Gemm weight), 'KxN' = a MatMul B. */
export type WeightLayout = 'NxK' | 'KxN';

/**
 * One layer's rounding problem, host side, always N x K. `base` = floor(W/s) and the nearest
 * decisions are fixed here once, in float32 exactly as src/quant/simulation/quantizer.ts divides, so that the
 * kernels never divide and the nearest state equals the shared quantizer bit for bit.
 */
export interface LayerProblem {
  N: number;
  K: number;
  bits: number;
  params: QuantParams[];
  /** The FP weight, N x K. */
  w: Float32Array;
  scales: Float32Array;
  zeros: Float32Array;
  /** floor(W/s), N x K. */
  base: Float32Array;
  /** V with h(V) = the fractional part of W/s: AdaRound's starting point. */
  v0: Float32Array;
  /** 1 where round-to-nearest (ties to even) rounds up from the floor. */
  nearest: Uint8Array;
}

export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

function transposeBytes(a: Uint8Array, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** An N x K array back in the caller's layout. */
export function toLayout<T extends Float32Array | Uint8Array>(a: T, layout: WeightLayout, N: number, K: number): T {
  if (layout === 'NxK') return a;
  return (a instanceof Float32Array ? transpose(a, N, K) : transposeBytes(a as Uint8Array, N, K)) as T;
}

/** x / s as the shared quantizer computes it (float32 division). */
export const gridPosition = (w: number, s: number) => Math.fround(w / s);

export function prepareLayer(
  weight: Float32Array, layout: WeightLayout, N: number, K: number, bits: number, params?: QuantParams[],
): LayerProblem {
  for (const [name, v] of Object.entries({ N, K })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`adaround: ${name} must be a positive integer, got ${v}`);
  }
  if (layout !== 'NxK' && layout !== 'KxN') throw new RangeError(`adaround: layout must be 'NxK' or 'KxN', got ${String(layout)}`);
  if (weight.length !== N * K) throw new RangeError(`adaround: weight has ${weight.length} values, expected N·K = ${N}·${K} = ${N * K}`);
  levels(bits);
  const w = layout === 'KxN' ? transpose(weight, K, N) : weight;
  for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i])) throw new RangeError(`adaround: weight[${i}] is not finite (${w[i]})`);
  const p = params ?? perChannelParams(w, N, K, bits);
  if (p.length !== N) throw new RangeError(`adaround: ${p.length} quantizer params for ${N} output channels`);
  if (p.some((q) => q.bits !== bits || !(q.scale > 0))) throw new RangeError(`adaround: quantizer params must have bits = ${bits} and a positive scale`);
  const scales = Float32Array.from(p, (q) => q.scale);
  const zeros = Float32Array.from(p, (q) => q.zeroPoint);
  const base = new Float32Array(N * K);
  const v0 = new Float32Array(N * K);
  const nearest = new Uint8Array(N * K);
  for (let i = 0; i < w.length; i++) {
    const g = gridPosition(w[i], scales[Math.floor(i / K)]);
    const floor = Math.floor(g);
    base[i] = floor;
    v0[i] = vForFraction(g - floor);
    nearest[i] = roundHalfEven(g) > floor ? 1 : 0;
  }
  return { N, K, bits, params: p, w, scales, zeros, base, v0, nearest };
}

/** The integer code of weight i with rounding decision h (0 or 1): clamp(floor(W/s) + h + z, 0, 2^k - 1). */
export function codeOf(problem: LayerProblem, i: number, h: number): number {
  const z = problem.zeros[Math.floor(i / problem.K)];
  return Math.min(Math.max(problem.base[i] + h + z, 0), levels(problem.bits));
}

/** The dequantized weight s (q - z) for hard decisions, N x K, float32 like the shared quantizer. */
export function hardWeight(problem: LayerProblem, rounding: Uint8Array): Float32Array {
  return Float32Array.from(rounding, (h, i) => {
    const n = Math.floor(i / problem.K);
    return Math.fround(problem.scales[n] * (codeOf(problem, i, h) - problem.zeros[n]));
  });
}

/** How many codes end above / below round-to-nearest's (after clamping to the grid). */
export function compareToNearest(problem: LayerProblem, rounding: Uint8Array): { roundedUp: number; roundedDown: number } {
  let roundedUp = 0;
  let roundedDown = 0;
  for (let i = 0; i < rounding.length; i++) {
    const diff = codeOf(problem, i, rounding[i]) - codeOf(problem, i, problem.nearest[i]);
    if (diff > 0) roundedUp++;
    else if (diff < 0) roundedDown++;
  }
  return { roundedUp, roundedDown };
}
