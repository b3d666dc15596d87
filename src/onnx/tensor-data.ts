/**
 * Conversions between ONNX tensor storage (little-endian raw bytes, or the typed repeated
 * fields) and the IR's in-memory typed arrays (see ir.ts for the conventions).
 */
import type { DType, TensorValues } from './ir.ts';
import { bfloat16ToFloat, bytesPerElement, floatToBfloat16, floatToHalf, halfToFloat } from './dtypes.ts';

/** Bytes that raw_data must hold for `count` elements of `dtype`. */
export function rawByteLength(dtype: DType, count: number): number {
  return dtype === 'int4' || dtype === 'uint4' ? Math.ceil(count / 2) : count * bytesPerElement(dtype);
}

/** Two 4-bit values per byte, the first in the low nibble; odd counts leave the last high nibble 0. */
export function packNibbles(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const nibble = values[i]! & 0x0f;
    out[i >> 1]! |= i & 1 ? nibble << 4 : nibble;
  }
  return out;
}

export function unpackNibbles(bytes: Uint8Array, count: number, signed: boolean): Int8Array | Uint8Array {
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const byte = bytes[i >> 1]!;
    const nibble = i & 1 ? byte >> 4 : byte & 0x0f;
    out[i] = signed && nibble >= 8 ? nibble - 16 : nibble;
  }
  return out;
}

const littleEndianHost = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * A fresh copy of the first `bytes` bytes, so typed arrays can view it aligned. (Not `slice`:
 * on a Node Buffer that returns a view into the file's memory.)
 */
function copyBytes(raw: Uint8Array, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out.set(raw.subarray(0, bytes));
  return out;
}

function alignedCopy(raw: Uint8Array, bytes: number): ArrayBuffer {
  return copyBytes(raw, bytes).buffer as ArrayBuffer;
}

/** Decodes little-endian raw bytes (length already checked) into the IR array for `dtype`. */
export function fromRaw(dtype: DType, raw: Uint8Array, count: number): TensorValues {
  if (littleEndianHost) {
    switch (dtype) {
      case 'float32':
        return new Float32Array(alignedCopy(raw, count * 4));
      case 'float64':
        return new Float64Array(alignedCopy(raw, count * 8));
      case 'int32':
        return new Int32Array(alignedCopy(raw, count * 4));
      case 'int16':
        return new Int16Array(alignedCopy(raw, count * 2));
      case 'uint16':
        return new Uint16Array(alignedCopy(raw, count * 2));
      default:
        break;
    }
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'float16':
    case 'bfloat16': {
      const widen = dtype === 'float16' ? halfToFloat : bfloat16ToFloat;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = widen(view.getUint16(i * 2, true));
      return out;
    }
    case 'int64':
    case 'uint64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const lo = view.getUint32(i * 8, true);
        const hi = dtype === 'int64' ? view.getInt32(i * 8 + 4, true) : view.getUint32(i * 8 + 4, true);
        out[i] = hi * 4294967296 + lo;
      }
      return out;
    }
    case 'uint32': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, true);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'uint16': {
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
      return out;
    }
    case 'int8':
      return new Int8Array(alignedCopy(raw, count));
    case 'uint8':
      return copyBytes(raw, count);
    case 'bool':
      return Uint8Array.from(raw.subarray(0, count), (b) => (b ? 1 : 0));
    case 'int4':
    case 'uint4':
      return unpackNibbles(raw, count, dtype === 'int4');
    case 'string':
      throw new Error('strings are not stored as raw data');
  }
}

/**
 * fromRaw for bytes the caller owns and will not keep (a fresh read): float32 values are viewed in
 * place when aligned, so a large tensor is not copied a second time.
 */
export function fromOwnedRaw(dtype: DType, raw: Uint8Array, count: number): TensorValues {
  if (littleEndianHost && dtype === 'float32' && raw.byteOffset % 4 === 0 && raw.byteLength >= count * 4) return new Float32Array(raw.buffer, raw.byteOffset, count);
  return fromRaw(dtype, raw, count);
}

/**
 * Values from the typed repeated fields (float_data, int32_data, int64_data, double_data,
 * uint64_data), already read as numbers. In int32_data, halves are bit patterns and 4-bit
 * types are packed two per entry (one byte each).
 */
export function fromTyped(dtype: DType, values: number[], count: number): TensorValues {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float16':
      return Float32Array.from(values, (v) => halfToFloat(v & 0xffff));
    case 'bfloat16':
      return Float32Array.from(values, (v) => bfloat16ToFloat(v));
    case 'float64':
    case 'int64':
    case 'uint64':
    case 'uint32':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'int16':
      return Int16Array.from(values);
    case 'uint16':
      return Uint16Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'uint8':
      return Uint8Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    case 'int4':
    case 'uint4':
      return unpackNibbles(Uint8Array.from(values), count, dtype === 'int4');
    case 'string':
      throw new Error('strings are not numeric');
  }
}

/** How many values the typed fields must hold for `count` elements. */
export function typedLength(dtype: DType, count: number): number {
  return dtype === 'int4' || dtype === 'uint4' ? Math.ceil(count / 2) : count;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function toInt64(v: number): bigint {
  if (!Number.isFinite(v)) return v > 0 ? INT64_MAX : v < 0 ? INT64_MIN : 0n;
  const b = BigInt(Math.trunc(v));
  return b > INT64_MAX ? INT64_MAX : b < INT64_MIN ? INT64_MIN : b;
}

function toUint64(v: number): bigint {
  if (!(v > 0)) return 0n;
  if (!Number.isFinite(v)) return 2n ** 64n - 1n;
  const b = BigInt(Math.trunc(v));
  return b >= 2n ** 64n ? 2n ** 64n - 1n : b;
}

/** Encodes IR values as little-endian raw_data. */
export function toRaw(dtype: DType, data: TensorValues): Uint8Array {
  if (Array.isArray(data) || dtype === 'string') throw new Error('strings are not stored as raw data');
  const count = data.length;
  if (dtype === 'int4' || dtype === 'uint4') return packNibbles(data);
  if (littleEndianHost && dtype === 'float32' && data instanceof Float32Array) {
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }
  const out = new Uint8Array(rawByteLength(dtype, count));
  const view = new DataView(out.buffer);
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < count; i++) view.setFloat32(i * 4, data[i]!, true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) view.setFloat64(i * 8, data[i]!, true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) view.setUint16(i * 2, floatToHalf(data[i]!), true);
      break;
    case 'bfloat16':
      for (let i = 0; i < count; i++) view.setUint16(i * 2, floatToBfloat16(data[i]!), true);
      break;
    case 'int64':
      for (let i = 0; i < count; i++) view.setBigInt64(i * 8, toInt64(data[i]!), true);
      break;
    case 'uint64':
      for (let i = 0; i < count; i++) view.setBigUint64(i * 8, toUint64(data[i]!), true);
      break;
    case 'uint32':
      for (let i = 0; i < count; i++) view.setUint32(i * 4, data[i]!, true);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) view.setInt32(i * 4, data[i]!, true);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) view.setInt16(i * 2, data[i]!, true);
      break;
    case 'uint16':
      for (let i = 0; i < count; i++) view.setUint16(i * 2, data[i]!, true);
      break;
    case 'int8':
    case 'uint8':
      for (let i = 0; i < count; i++) view.setUint8(i, data[i]! & 0xff);
      break;
    case 'bool':
      for (let i = 0; i < count; i++) out[i] = data[i] ? 1 : 0;
      break;
  }
  return out;
}
