import type { DType } from '../ir.ts';
import { allowAttrs, attrInt, unsupported } from './attrs.ts';
import { roundHalfEven } from './math.ts';
import { isFloatDType } from './ref-tensor.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
import { hasInput, need, normalizeAxis, sizeOf } from './util.ts';

/**
 * QuantizeLinear / DequantizeLinear (opsets 10-21: per tensor, per axis, blocked) and
 * com.microsoft MatMulNBits, the forms the studio's exports are written in. Quantization divides
 * in float32 and rounds half to even, like onnxruntime and the studio's own quantizer.
 */

const f32 = Math.fround;

const RANGES: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255], int8: [-128, 127], uint4: [0, 15], int4: [-8, 7], uint16: [0, 65535], int16: [-32768, 32767],
};

function rangeOf(dtype: DType, ctx: OpContext): [number, number] {
  const r = RANGES[dtype];
  if (!r) throw unsupported(ctx, `quantized type ${dtype}`);
  return r;
}

/** For every element of x, the index of its scale/zero point (per tensor, per axis, or per block). */
function paramIndex(xDims: readonly number[], scaleDims: readonly number[], ctx: OpContext): (i: number) => number {
  const count = sizeOf(scaleDims);
  if (count === 1 && scaleDims.length <= 1) return () => 0;
  const rank = xDims.length;
  const axis = normalizeAxis(attrInt(ctx, 'axis', 1), rank, ctx);
  const block = attrInt(ctx, 'block_size', 0);
  const inner = sizeOf(xDims.slice(axis + 1));
  const along = xDims[axis];
  if (block === 0) {
    if (scaleDims.length !== 1 || scaleDims[0] !== along) {
      throw unsupported(ctx, `per-axis scale of shape [${scaleDims.join(', ')}] does not match axis ${axis} of [${xDims.join(', ')}]`);
    }
    return (i) => Math.floor(i / inner) % along;
  }
  const blocks = Math.ceil(along / block);
  const expected = xDims.map((d, k) => (k === axis ? blocks : d));
  if (scaleDims.length !== rank || scaleDims.some((d, k) => d !== expected[k])) {
    throw unsupported(ctx, `blocked scale of shape [${scaleDims.join(', ')}] does not match [${expected.join(', ')}] (block_size ${block})`);
  }
  return (i) => {
    const outer = Math.floor(i / (inner * along));
    const a = Math.floor(i / inner) % along;
    const r = i % inner;
    return (outer * blocks + Math.floor(a / block)) * inner + r;
  };
}

function checkAttrs(ctx: OpContext, quantize: boolean): void {
  const names = ctx.opset >= 21 ? ['axis', 'block_size', 'output_dtype', 'saturate'] : ctx.opset >= 19 ? ['axis', 'saturate'] : ['axis'];
  allowAttrs(ctx, quantize ? names : names.filter((n) => n !== 'output_dtype' && n !== 'saturate'));
  if (attrInt(ctx, 'output_dtype', 0) !== 0) throw unsupported(ctx, 'output_dtype is not supported');
}

const dequantizeLinear: OpDefinition = {
  infer(inputs, ctx) {
    checkAttrs(ctx, false);
    const x = need(inputs, 0, ctx);
    const scale = need(inputs, 1, ctx);
    return [{ dtype: x.dtype === 'int32' ? 'float32' : scale.dtype, dims: [...x.dims] }];
  },
  evaluate(inputs, ctx) {
    checkAttrs(ctx, false);
    const x = need(inputs, 0, ctx);
    const scale = need(inputs, 1, ctx);
    const zero = hasInput(ctx, 2) ? need(inputs, 2, ctx) : undefined;
    const at = paramIndex(x.dims, scale.dims, ctx);
    const out = new Float64Array(x.data.length);
    // float32 arithmetic, as onnxruntime computes it: (x - zp) is exact, the product rounds once.
    for (let i = 0; i < out.length; i++) {
      const p = at(i);
      out[i] = f32((x.data[i] - (zero ? zero.data[p] : 0)) * scale.data[p]);
    }
    return [{ dtype: scale.dtype, dims: [...x.dims], data: out }];
  },
};

function quantizedType(inputs: readonly (ValueShape | undefined)[], ctx: OpContext): DType {
  return hasInput(ctx, 2) ? need(inputs, 2, ctx).dtype : 'uint8';
}

const quantizeLinear: OpDefinition = {
  infer(inputs, ctx) {
    checkAttrs(ctx, true);
    const x = need(inputs, 0, ctx);
    const dtype = quantizedType(inputs, ctx);
    rangeOf(dtype, ctx);
    return [{ dtype, dims: [...x.dims] }];
  },
  evaluate(inputs, ctx) {
    checkAttrs(ctx, true);
    const x = need(inputs, 0, ctx);
    const scale = need(inputs, 1, ctx);
    const zero = hasInput(ctx, 2) ? need(inputs, 2, ctx) : undefined;
    const dtype = quantizedType(inputs, ctx);
    const [lo, hi] = rangeOf(dtype, ctx);
    const at = paramIndex(x.dims, scale.dims, ctx);
    const out = new Float64Array(x.data.length);
    for (let i = 0; i < out.length; i++) {
      const p = at(i);
      const q = roundHalfEven(f32(x.data[i] / scale.data[p])) + (zero ? zero.data[p] : 0);
      out[i] = Math.min(Math.max(q, lo), hi);
    }
    return [{ dtype, dims: [...x.dims], data: out }];
  },
};

/** MatMulNBits' attributes, checked. */
export interface NBitsShape {
  K: number;
  N: number;
  bits: number;
  blockSize: number;
  kBlocks: number;
  /** Bytes of one block of B. */
  blobBytes: number;
}

export function nbitsShape(ctx: OpContext): NBitsShape {
  const K = attrInt(ctx, 'K');
  const N = attrInt(ctx, 'N');
  const bits = attrInt(ctx, 'bits', 4);
  const blockSize = attrInt(ctx, 'block_size');
  if (K === undefined || N === undefined || blockSize === undefined) throw unsupported(ctx, 'attributes K, N and block_size are required');
  if (![2, 4, 8].includes(bits)) throw unsupported(ctx, `bits=${bits} (2, 4 or 8)`);
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) throw unsupported(ctx, `block_size=${blockSize} (a power of two, at least 16)`);
  const kBlocks = Math.ceil(K / blockSize);
  return { K, N, bits, blockSize, kBlocks, blobBytes: (blockSize * bits) / 8 };
}

/**
 * The float weight of a MatMulNBits as [K, N] (ready for a MatMul): B's codes are packed LSB
 * first per block; zero points are packed the same way per row, or default to 2^(bits-1).
 */
export function dequantizeNBits(s: NBitsShape, b: RefTensor, scales: RefTensor, zeros: RefTensor | undefined, ctx: OpContext): Float64Array {
  if (b.data.length !== s.N * s.kBlocks * s.blobBytes) throw unsupported(ctx, `B has ${b.data.length} bytes, expected N*k_blocks*blob = ${s.N * s.kBlocks * s.blobBytes}`);
  if (scales.data.length !== s.N * s.kBlocks) throw unsupported(ctx, `${scales.data.length} scales, expected N*k_blocks = ${s.N * s.kBlocks}`);
  const perByte = 8 / s.bits;
  const mask = (1 << s.bits) - 1;
  const zeroBytesPerRow = Math.ceil((s.kBlocks * s.bits) / 8);
  const floatZeros = zeros && isFloatDType(zeros.dtype);
  if (zeros && !floatZeros && zeros.data.length !== s.N * zeroBytesPerRow) {
    throw unsupported(ctx, `${zeros.data.length} packed zero points, expected ${s.N * zeroBytesPerRow}`);
  }
  const zeroOf = (n: number, blk: number): number => {
    if (!zeros) return 1 << (s.bits - 1);
    if (floatZeros) return zeros.data[n * s.kBlocks + blk];
    const byte = zeros.data[n * zeroBytesPerRow + Math.floor(blk / perByte)];
    return (byte >> ((blk % perByte) * s.bits)) & mask;
  };
  const w = new Float64Array(s.K * s.N);
  for (let n = 0; n < s.N; n++) {
    for (let blk = 0; blk < s.kBlocks; blk++) {
      const scale = scales.data[n * s.kBlocks + blk];
      const zp = zeroOf(n, blk);
      const base = (n * s.kBlocks + blk) * s.blobBytes;
      for (let j = 0; j < s.blockSize; j++) {
        const k = blk * s.blockSize + j;
        if (k >= s.K) break;
        const q = (b.data[base + Math.floor(j / perByte)] >> ((j % perByte) * s.bits)) & mask;
        w[k * s.N + n] = f32((q - zp) * scale);
      }
    }
  }
  return w;
}

const NBITS_ATTRS = ['K', 'N', 'bits', 'block_size', 'accuracy_level'];

function checkNBitsInputs(ctx: OpContext): void {
  if (hasInput(ctx, 4)) throw unsupported(ctx, 'g_idx (input 4) is not supported');
}

const matMulNBits: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, NBITS_ATTRS);
    checkNBitsInputs(ctx);
    const s = nbitsShape(ctx);
    const a = need(inputs, 0, ctx);
    if (a.dims[a.dims.length - 1] !== s.K) throw unsupported(ctx, `A's last dim ${a.dims[a.dims.length - 1]} is not K=${s.K}`);
    return [{ dtype: a.dtype, dims: [...a.dims.slice(0, -1), s.N] }];
  },
  evaluate(inputs, ctx) {
    allowAttrs(ctx, NBITS_ATTRS);
    checkNBitsInputs(ctx);
    const s = nbitsShape(ctx);
    const a = need(inputs, 0, ctx);
    const w = dequantizeNBits(s, need(inputs, 1, ctx), need(inputs, 2, ctx), hasInput(ctx, 3) ? need(inputs, 3, ctx) : undefined, ctx);
    const bias = hasInput(ctx, 5) ? need(inputs, 5, ctx) : undefined;
    const rows = a.data.length / s.K;
    const out = new Float64Array(rows * s.N);
    for (let m = 0; m < rows; m++) {
      for (let n = 0; n < s.N; n++) {
        let acc = bias ? bias.data[n] : 0;
        for (let k = 0; k < s.K; k++) acc += a.data[m * s.K + k] * w[k * s.N + n];
        out[m * s.N + n] = acc;
      }
    }
    return [{ dtype: a.dtype, dims: [...a.dims.slice(0, -1), s.N], data: out }];
  },
};

/**
 * MatMulNBits' weight alone, as a float [K, N]: the engine lowers MatMulNBits into this (folded
 * at prepare time, since all its inputs are constants) followed by a MatMul.
 */
export const DEQUANTIZE_NBITS = { domain: 'ai.defakeq', opType: 'DequantizeNBits' } as const;

const dequantizeNBitsOp: OpDefinition = {
  infer(_inputs, ctx) {
    allowAttrs(ctx, NBITS_ATTRS);
    const s = nbitsShape(ctx);
    return [{ dtype: 'float32', dims: [s.K, s.N] }];
  },
  evaluate(inputs, ctx) {
    allowAttrs(ctx, NBITS_ATTRS);
    const s = nbitsShape(ctx);
    const w = dequantizeNBits(s, need(inputs, 0, ctx), need(inputs, 1, ctx), hasInput(ctx, 2) ? need(inputs, 2, ctx) : undefined, ctx);
    return [{ dtype: 'float32', dims: [s.K, s.N], data: w }];
  },
};

export const quantOps: OpRegistry = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  'com.microsoft:MatMulNBits': matMulNBits,
  [`${DEQUANTIZE_NBITS.domain}:${DEQUANTIZE_NBITS.opType}`]: dequantizeNBitsOp,
};
