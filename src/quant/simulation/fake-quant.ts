import type { WeightLayout } from '../allocation/importance.ts';
import { fakeQuantize, levels, type QuantParams } from './quantizer.ts';

/**
 * CPU reference of the fused fake-quant matmul (shaders/matmul_quant.wgsl):
 *   Y = Qa(X) · Qw(W)ᵀ (+ bias)
 * with Qa per tensor and Qw per output channel, both asymmetric (paper eq. 1), and optional
 * learned rounding for the weights (paper eq. 7). Quantization is float32 step for step as in
 * the WGSL; the product accumulates in float64.
 */

const f32 = Math.fround;

export type { WeightLayout };

export interface QuantMatmulShape {
  M: number;
  K: number;
  N: number;
  /** 'NxK': W is out × in (Linear); 'KxN': in × out (ONNX MatMul). The channel is n in both. */
  layout: WeightLayout;
}

/** Per-output-channel weight quantizer: N scales and zero points, optional learned offsets. */
export interface WeightQuant {
  scales: Float32Array;
  zeroPoints: Float32Array;
  bits: number;
  /** h in [0, 1], one per weight in W's layout: W~ = s (clamp(floor(W/s) + h + z) - z); nearest rounding when absent. */
  offsets?: Float32Array;
}

export const WEIGHT_BITS = { min: 2, max: 8 } as const;
export const ACTIVATION_BITS = { min: 2, max: 8 } as const;

export function checkBits(what: string, bits: number, range: { min: number; max: number }): void {
  if (!Number.isInteger(bits) || bits < range.min || bits > range.max) {
    throw new RangeError(`fake-quant matmul: ${what} bits must be an integer in ${range.min}..${range.max}, got ${bits}`);
  }
}

export function checkShape(shape: QuantMatmulShape): void {
  for (const name of ['M', 'K', 'N'] as const) {
    const v = shape[name];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`fake-quant matmul: ${name} must be a positive integer, got ${v}`);
  }
  if (shape.layout !== 'NxK' && shape.layout !== 'KxN') throw new RangeError(`fake-quant matmul: unknown weight layout '${String(shape.layout)}'`);
}

/** The arrays of a WeightQuant from per-channel QuantParams (all of one bit width). */
export function weightQuantOf(params: readonly QuantParams[], offsets?: Float32Array): WeightQuant {
  if (params.length === 0) throw new RangeError('fake-quant matmul: no channel parameters');
  const bits = params[0].bits;
  if (params.some((p) => p.bits !== bits)) throw new RangeError('fake-quant matmul: all channels of a layer must share one bit width');
  return {
    scales: Float32Array.from(params, (p) => p.scale),
    zeroPoints: Float32Array.from(params, (p) => p.zeroPoint),
    bits,
    offsets,
  };
}

/** Learned rounding of one weight (AdaRound): s (clamp(floor(x/s) + h + z, 0, 2^k - 1) - z), in float32 like the WGSL. */
export function learnedFakeQuantize(x: number, h: number, scale: number, zeroPoint: number, bits: number): number {
  const q = Math.min(Math.max(f32(f32(Math.floor(f32(x / scale)) + h) + zeroPoint), 0), levels(bits));
  return f32(scale * f32(q - zeroPoint));
}

/** The channel (output column n) of element i of a weight stored in `layout`. */
export function channelOf(i: number, shape: Pick<QuantMatmulShape, 'K' | 'N' | 'layout'>): number {
  return shape.layout === 'NxK' ? Math.floor(i / shape.K) : i % shape.N;
}

/** W~ in W's own layout. */
export function fakeQuantWeights(w: Float32Array, shape: Pick<QuantMatmulShape, 'K' | 'N' | 'layout'>, q: WeightQuant): Float32Array {
  checkBits('weight', q.bits, WEIGHT_BITS);
  const count = shape.K * shape.N;
  if (w.length !== count) throw new RangeError(`fake-quant matmul: weight has ${w.length} values, expected K*N = ${count}`);
  if (q.scales.length !== shape.N || q.zeroPoints.length !== shape.N) {
    throw new RangeError(`fake-quant matmul: expected ${shape.N} scales and zero points, got ${q.scales.length} and ${q.zeroPoints.length}`);
  }
  if (q.offsets && q.offsets.length !== count) throw new RangeError(`fake-quant matmul: ${q.offsets.length} rounding offsets for ${count} weights`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const n = channelOf(i, shape);
    const s = q.scales[n];
    const z = q.zeroPoints[n];
    out[i] = q.offsets ? learnedFakeQuantize(w[i], q.offsets[i], s, z, q.bits) : fakeQuantize(w[i], { scale: s, zeroPoint: z, bits: q.bits });
  }
  return out;
}

export function fakeQuantActivations(x: Float32Array, act: QuantParams): Float32Array {
  checkBits('activation', act.bits, ACTIVATION_BITS);
  return x.map((v) => fakeQuantize(v, act));
}

/** Y (M x N) = Qa(X) · Qw(W)ᵀ (+ bias); `act` null leaves X in full precision (weight-only). */
export function fakeQuantMatmulReference(
  x: Float32Array, w: Float32Array, shape: QuantMatmulShape,
  weights: WeightQuant, act: QuantParams | null, bias?: Float32Array,
): Float32Array {
  checkShape(shape);
  const { M, K, N } = shape;
  if (x.length !== M * K) throw new RangeError(`fake-quant matmul: input has ${x.length} values, expected M*K = ${M * K}`);
  if (bias && bias.length !== N) throw new RangeError(`fake-quant matmul: bias has ${bias.length} values, expected N = ${N}`);
  const wq = fakeQuantWeights(w, shape, weights);
  const xq = act ? fakeQuantActivations(x, act) : x;
  const [strideN, strideK] = shape.layout === 'NxK' ? [K, 1] : [1, N];
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) acc += xq[m * K + k] * wq[n * strideN + k * strideK];
      y[m * N + n] = acc;
    }
  }
  return y;
}

/**
 * How far r = x/s lies from the nearest point where its quantized level changes: half-integers
 * for nearest rounding, integers for learned (floor) rounding. Tests use it to tell a rounding
 * flip caused by WGSL's inexact division from a real disagreement.
 */
export function distanceToRoundingBoundary(r: number, learned: boolean): number {
  return learned ? Math.abs(r - Math.round(r)) : Math.abs(Math.abs(r - Math.floor(r)) - 0.5);
}
