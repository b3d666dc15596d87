import { describe, expect, it } from 'vitest';
import { DataType } from '../ir.ts';
import { refToTensor, tensorToRef } from './ref-tensor.ts';
import { int, int64, run, t, values } from './test-helpers.ts';

describe('Cast and CastLike', () => {
  it('casts floats to ints truncating toward zero and wrapping to width', () => {
    const x = t([5], [1.7, -1.7, 300, -129, 0.2]);
    expect(run('Cast', [x], { attrs: { to: int(DataType.INT64) } })[0]).toMatchObject({ dtype: 'int64', data: Float64Array.of(1, -1, 300, -129, 0) });
    expect(values('Cast', [x], { attrs: { to: int(DataType.UINT8) } })).toEqual([1, 255, 44, 127, 0]);
    expect(values('Cast', [x], { attrs: { to: int(DataType.INT8) } })).toEqual([1, -1, 44, 127, 0]);
    expect(values('Cast', [x], { attrs: { to: int(DataType.BOOL) } })).toEqual([1, 1, 1, 1, 1]);
    expect(run('Cast', [int64([1], [3])], { attrs: { to: int(DataType.FLOAT) } })[0].dtype).toBe('float32');
  });

  it('refuses a cast to string or an unknown type', () => {
    expect(() => run('Cast', [t([1], [1])], { attrs: { to: int(DataType.STRING) } })).toThrow(/Cast at node "cast_0": cast to data type 8/);
    expect(() => run('Cast', [t([1], [1])], { attrs: { to: int(99) } })).toThrow(/data type 99/);
  });

  it('CastLike takes the dtype of its second input', () => {
    expect(run('CastLike', [t([1], [2.9]), int64([], [0])])[0]).toMatchObject({ dtype: 'int64', data: Float64Array.of(2) });
  });
});

describe('Constant, Identity, Dropout', () => {
  it('Constant reads value, value_float(s) and value_int(s)', () => {
    const tensor = { name: 'c', dtype: 'float32' as const, dims: [2], data: Float32Array.of(1.5, 2) };
    expect(run('Constant', [], { attrs: { value: { type: 'tensor', value: tensor } } })[0]).toMatchObject({ dtype: 'float32', dims: [2], data: Float64Array.of(1.5, 2) });
    expect(run('Constant', [], { attrs: { value_float: { type: 'float', value: 0.5 } } })[0]).toMatchObject({ dtype: 'float32', dims: [] });
    expect(run('Constant', [], { attrs: { value_ints: { type: 'ints', value: [1, -1] } } })[0]).toMatchObject({ dtype: 'int64', dims: [2], data: Float64Array.of(1, -1) });
    expect(run('Constant', [], { attrs: { value_int: int(4) } })[0]).toMatchObject({ dtype: 'int64', dims: [], data: Float64Array.of(4) });
    expect(() => run('Constant', [], { attrs: { value_string: { type: 'string', value: 'x' } } })).toThrow(/value_string/);
  });

  it('Identity and inference Dropout pass values through; Dropout gives an all-true mask', () => {
    const x = t([2], [1, 2]);
    expect(values('Identity', [x])).toEqual([1, 2]);
    const [y, mask] = run('Dropout', [x, t([], [0.5])], { opset: 13, outputs: 2 });
    expect([...y.data]).toEqual([1, 2]);
    expect(mask).toMatchObject({ dtype: 'bool', data: Float64Array.of(1, 1) });
    expect(() => run('Dropout', [x, t([], [0.5]), t([], [1], 'bool')], { opset: 13 })).toThrow(/training_mode=true/);
  });
});

describe('tensorToRef / refToTensor', () => {
  it('round-trips through the ir.ts containers', () => {
    const back = refToTensor(tensorToRef({ name: 'i', dtype: 'int32', dims: [2], data: Int32Array.of(-3, 4) }), 'o');
    expect(back.data).toBeInstanceOf(Int32Array);
    expect([...back.data]).toEqual([-3, 4]);
    expect(refToTensor(t([1], [0.1]), 'f').data).toBeInstanceOf(Float32Array);
    expect(refToTensor(int64([1], [2 ** 40]), 'l').data).toEqual(Float64Array.of(2 ** 40));
    expect(refToTensor(t([2], [1, 0], 'bool'), 'b').data).toEqual(Uint8Array.of(1, 0));
  });

  it('rejects data that does not fit its dims', () => {
    expect(() => tensorToRef({ name: 'bad', dtype: 'float32', dims: [3], data: Float32Array.of(1) })).toThrow(/tensor "bad": 1 values/);
  });
});
