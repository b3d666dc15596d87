import { roundHalfEven } from '../../onnx/ops/math.ts';

/**
 * The uniform asymmetric quantizer of the paper (eq. 1), defined once for the CPU; the WGSL
 * twin is shaders/quantizer.wgsl. Both compute in float32 and round half to even, so the CPU
 * reference and the GPU agree bit for bit:
 *   q = clamp(round(x / s) + z, 0, 2^k - 1),   x^ = s (q - z).
 */

const f32 = Math.fround;

export interface QuantParams {
  scale: number;
  zeroPoint: number;
  bits: number;
}

export function levels(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new RangeError(`bit width must be 1..16, got ${bits}`);
  return 2 ** bits - 1;
}

export function quantize(x: number, p: QuantParams): number {
  const q = roundHalfEven(f32(x / p.scale)) + p.zeroPoint;
  return Math.min(Math.max(q, 0), levels(p.bits));
}

export function dequantize(q: number, p: QuantParams): number {
  return f32(p.scale * (q - p.zeroPoint));
}

export function fakeQuantize(x: number, p: QuantParams): number {
  return dequantize(quantize(x, p), p);
}

/**
 * Scale and zero point covering [min, max] (widened to include 0, so that 0 is exact).
 * A degenerate range gets a tiny scale instead of a division by zero.
 */
export function paramsForRange(min: number, max: number, bits: number): QuantParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const n = levels(bits);
  const scale = f32(Math.max((hi - lo) / n, 1e-8));
  const zeroPoint = Math.min(Math.max(roundHalfEven(-lo / scale), 0), n);
  return { scale, zeroPoint, bits };
}

/** Per-output-channel parameters for a weight stored as rows = output channels, cols = inputs. */
export function perChannelParams(weight: Float32Array, rows: number, cols: number, bits: number): QuantParams[] {
  const params: QuantParams[] = [];
  for (let r = 0; r < rows; r++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = weight[r * cols + c];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    params.push(paramsForRange(lo, hi, bits));
  }
  return params;
}
