import { elementCount, GraphError, type DType, type Tensor, type TensorValues } from '../ir.ts';
import { printableName } from '../names.ts';
import type { RefTensor } from './types.ts';

/** An IR tensor as a float64 reference value (copies the data). */
export function tensorToRef(t: Tensor): RefTensor {
  if (t.dtype === 'string') throw new GraphError(`tensor "${printableName(t.name)}" holds strings, which no supported operator reads`, undefined, t.name);
  const count = elementCount(t.dims);
  if (t.data.length !== count) {
    throw new RangeError(`tensor "${t.name}": ${t.data.length} values for dims [${t.dims.join(', ')}] (${count} expected)`);
  }
  return { dtype: t.dtype, dims: [...t.dims], data: Float64Array.from(t.data as ArrayLike<number>) };
}

/**
 * An IR tensor as a reference value whose float64 copy is made only when `data` is read, and
 * dropped again once nothing holds it. Plans hold every weight a model reads: the GPU engine
 * uploads weights from the tensors themselves and never needs these copies.
 */
export function lazyRef(t: Tensor): RefTensor {
  let cached: WeakRef<Float64Array> | null = null;
  const ref = { dtype: t.dtype, dims: [...t.dims] } as RefTensor;
  Object.defineProperty(ref, 'data', {
    enumerable: true,
    get() {
      const held = cached?.deref();
      if (held) return held;
      const data = tensorToRef(t).data;
      cached = new WeakRef(data);
      return data;
    },
  });
  return ref;
}

/** A reference value as an IR tensor, in the container ir.ts prescribes for its dtype. */
export function refToTensor(r: RefTensor, name: string): Tensor {
  return { name, dtype: r.dtype, dims: [...r.dims], data: containerFor(r.dtype, r.data) };
}

function containerFor(dtype: DType, data: Float64Array): TensorValues {
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return Float32Array.from(data);
    case 'float64':
    case 'int64':
    case 'uint64':
    case 'uint32':
      return Float64Array.from(data);
    case 'int32':
      return Int32Array.from(data);
    case 'int16':
      return Int16Array.from(data);
    case 'uint16':
      return Uint16Array.from(data);
    case 'int8':
    case 'int4':
      return Int8Array.from(data);
    case 'uint8':
    case 'uint4':
    case 'bool':
      return Uint8Array.from(data);
    case 'string':
      throw new TypeError('a numeric reference value cannot become a string tensor');
  }
}

export function makeRef(dtype: DType, dims: number[], data?: Float64Array | number[]): RefTensor {
  const count = elementCount(dims);
  const values = data === undefined ? new Float64Array(count) : data instanceof Float64Array ? data : Float64Array.from(data);
  if (values.length !== count) throw new RangeError(`${values.length} values for dims [${dims.join(', ')}]`);
  return { dtype, dims: [...dims], data: values };
}

export { dtypeFromCode } from '../dtypes.ts';

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

const integerBits: Partial<Record<DType, { bits: number; signed: boolean }>> = {
  int4: { bits: 4, signed: true },
  uint4: { bits: 4, signed: false },
  int8: { bits: 8, signed: true },
  uint8: { bits: 8, signed: false },
  int16: { bits: 16, signed: true },
  uint16: { bits: 16, signed: false },
  int32: { bits: 32, signed: true },
  uint32: { bits: 32, signed: false },
};

/**
 * A number converted to `dtype` the way onnxruntime's Cast does: floats keep their float64 value
 * (the reference never rounds intermediates), integers truncate toward zero and wrap to their
 * width, bool is "not zero".
 */
export function castScalar(x: number, dtype: DType): number {
  if (isFloatDType(dtype)) return x;
  if (dtype === 'bool') return x !== 0 ? 1 : 0;
  if (Number.isNaN(x)) return 0;
  const t = Math.trunc(x);
  const info = integerBits[dtype];
  if (!info || !Number.isFinite(t)) return t;
  const range = 2 ** info.bits;
  let w = ((t % range) + range) % range;
  if (info.signed && w >= range / 2) w -= range;
  return w;
}
