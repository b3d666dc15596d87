import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { decodeModel } from './decode.ts';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from './dtypes.ts';
import { encodeModel, encodeModelWithExternalData } from './encode.ts';
import type { Graph, Model } from './ir.ts';
import { packNibbles, unpackNibbles } from './tensor-data.ts';
import { WireReader } from './wire.ts';
import { buildModel, f32, i64, node, tensor, valueInfo } from './testing.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

/** Names in GraphProto.input, read straight from the bytes. */
function declaredInputs(bytes: Uint8Array): string[] {
  const names: string[] = [];
  const r = new WireReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.readTag();
    if (field !== 7) {
      r.skip(wireType);
      continue;
    }
    const g = r.readMessage();
    while (!g.done) {
      const tag = g.readTag();
      if (tag.field !== 11) {
        g.skip(tag.wireType);
        continue;
      }
      const vi = g.readMessage();
      vi.readTag();
      names.push(vi.readString());
    }
  }
  return names;
}

function richModel(): Model {
  const body: Graph = {
    name: 'then_branch',
    nodes: [node('Identity', ['a'], ['then_out'])],
    initializers: new Map(),
    inputs: [],
    outputs: [valueInfo('then_out', null)],
    valueInfo: new Map(),
  };
  const model = buildModel({
    nodes: [
      node('Add', ['x', 'b'], ['a'], {}, ''),
      {
        name: 'custom',
        opType: 'Foo',
        domain: 'com.example',
        inputs: ['a', '', 'c'],
        outputs: ['y', ''],
        attrs: {
          f: { type: 'float', value: 0.25 },
          i: { type: 'int', value: -(2 ** 40) },
          big: { type: 'int', value: 2 ** 63 },
          s: { type: 'string', value: 'ünïcode' },
          t: { type: 'tensor', value: i64('t', [2], [-1, 2 ** 63]) },
          g: { type: 'graph', value: body },
          fs: { type: 'floats', value: [1.5, -0.125] },
          is: { type: 'ints', value: [0, -1, 2 ** 50] },
          ss: { type: 'strings', value: ['a', ''] },
        },
      },
    ],
    initializers: [
      f32('b', [3], [1, 2, 3]),
      tensor('h', 'float16', [3], Float32Array.of(1, -65504, 2 ** -24)),
      tensor('bf', 'bfloat16', [2], Float32Array.of(1.5, -256)),
      tensor('q4', 'int4', [5], Int8Array.of(1, -1, 7, -8, 3)),
      tensor('u4', 'uint4', [2, 2], Uint8Array.of(15, 0, 9, 1)),
      tensor('bool', 'bool', [3], Uint8Array.of(1, 0, 1)),
      tensor('str', 'string', [2], ['x', 'yz']),
      tensor('u64', 'uint64', [1], Float64Array.of(2 ** 60)),
      tensor('i8', 'int8', [2], Int8Array.of(-128, 127)),
      tensor('i16', 'int16', [1], Int16Array.of(-300)),
      tensor('u16', 'uint16', [1], Uint16Array.of(60000)),
      tensor('i32', 'int32', [2], Int32Array.of(-(2 ** 31), 5)),
      tensor('u32', 'uint32', [1], Float64Array.of(2 ** 32 - 1)),
      tensor('d', 'float64', [], Float64Array.of(Math.E)),
      f32('empty', [0, 3], []),
    ],
    inputs: [valueInfo('x', ['batch', 3]), valueInfo('c', [null, 2], 'int64')],
    outputs: [valueInfo('y', ['batch', 3])],
    valueInfo: [valueInfo('a', ['batch', 3]), valueInfo('unshaped', null, 'bool')],
    opset: 21,
  });
  model.opsets.push({ domain: 'com.example', version: 1 });
  model.metadata = { bits: '{"layer":4}', note: '' };
  model.irVersion = 10;
  return model;
}

describe('encodeModel', () => {
  it('round-trips every attribute kind, dtype and shape form exactly', () => {
    const model = richModel();
    const once = decodeModel(encodeModel(model));
    expect(once).toEqual(model);
    expect(decodeModel(encodeModel(once))).toEqual(once);
  });

  it('declares initializers as graph inputs for IR version 3, which required it', async () => {
    const model = buildModel({
      nodes: [node('Add', ['x', 'b'], ['y'])],
      initializers: [f32('b', [2], [1, 2])],
      inputs: [valueInfo('x', [2])],
      outputs: [valueInfo('y', [2])],
      opset: 8,
    });
    model.irVersion = 3;
    const bytes = encodeModel(model);
    expect(declaredInputs(bytes)).toEqual(['x', 'b']);
    expect(declaredInputs(encodeModel({ ...model, irVersion: 4 }))).toEqual(['x']);
    expect(decodeModel(bytes)).toEqual(model);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    try {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(10, 20), [2]) });
      expect([...(out['y']!.data as Float32Array)]).toEqual([11, 22]);
    } finally {
      await session.release();
    }
  });

  it('is deterministic', () => {
    expect(encodeModel(richModel())).toEqual(encodeModel(richModel()));
  });

  it('packs int4 and uint4 two per byte, low nibble first', () => {
    expect([...packNibbles(Int8Array.of(1, -1, 7, -8, 3))]).toEqual([0xf1, 0x87, 0x03]);
    expect([...packNibbles(Uint8Array.of(15, 0, 9))]).toEqual([0x0f, 0x09]);
    const values = Int8Array.from({ length: 33 }, (_, i) => (i % 16) - 8);
    expect(unpackNibbles(packNibbles(values), 33, true)).toEqual(values);
  });

  it('converts every float16 value back to the same bits, and rounds ties to even', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const v = halfToFloat(h);
      const ok = Number.isNaN(v) ? Number.isNaN(halfToFloat(floatToHalf(v))) : floatToHalf(v) === h;
      if (!ok) wrong.push(h);
    }
    expect(wrong).toEqual([]);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next half: even wins
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds past the largest half
    expect(floatToHalf(2 ** -26)).toBe(0); // below half the smallest subnormal
    expect(bfloat16ToFloat(floatToBfloat16(1 + 2 ** -8))).toBe(1); // tie → even
    expect(bfloat16ToFloat(floatToBfloat16(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6);
  });
});

describe('encodeModelWithExternalData', () => {
  const weights = Array.from({ length: 4 * 300 }, (_, i) => Math.sin(i));
  const model = buildModel({
    nodes: [node('MatMul', ['x', 'w'], ['y'])],
    initializers: [f32('w', [4, 300], weights), f32('unused_small', [2], [1, 2])],
    inputs: [valueInfo('x', ['batch', 4])],
    outputs: [valueInfo('y', ['batch', 300])],
    opset: 17,
  });

  it('moves large tensors to the data file and reads them back', () => {
    const { model: bytes, data } = encodeModelWithExternalData(model, { location: 'm.onnx_data', minBytes: 1024 });
    expect(data.length).toBe(4800);
    expect(bytes.length).toBeLessThan(1000);
    expect(decodeModel(bytes, { externalData: (loc) => (loc === 'm.onnx_data' ? data : undefined) })).toEqual(model);
    expect(() => decodeModel(bytes, { fileName: 'm.onnx' })).toThrow(/"m\.onnx_data", which was not provided/);
  });

  it('produces files onnxruntime-web loads with external data', async () => {
    const { model: bytes, data } = encodeModelWithExternalData(model, { location: 'm.onnx_data' });
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], logSeverityLevel: 3, externalData: [{ path: 'm.onnx_data', data }] });
    try {
      const x = Float32Array.of(1, -2, 0.5, 3);
      const out = await session.run({ x: new ort.Tensor('float32', x, [1, 4]) });
      const y = out['y']!.data as Float32Array;
      for (let j = 0; j < 300; j++) {
        let expected = 0;
        for (let k = 0; k < 4; k++) expected += x[k]! * Math.fround(weights[k * 300 + j]!);
        expect(y[j]).toBeCloseTo(expected, 4);
      }
    } finally {
      await session.release();
    }
  });
});

describe('onnxruntime-web accepts encoded low-bit models', () => {
  it('runs int4 and uint4 DequantizeLinear (opset 21) with our nibble packing', async () => {
    const q = [1, -1, 7, -8, 3, -5];
    const u = [15, 0, 9, 4, 1, 12];
    const model = buildModel({
      nodes: [
        node('DequantizeLinear', ['q', 'qs', 'qz'], ['dq']),
        node('DequantizeLinear', ['u', 'us', 'uz'], ['du']),
        node('Add', ['dq', 'x'], ['yq']),
        node('Add', ['du', 'x'], ['yu']),
      ],
      initializers: [
        tensor('q', 'int4', [6], Int8Array.from(q)),
        f32('qs', [], [0.5]),
        tensor('qz', 'int4', [], Int8Array.of(-1)),
        tensor('u', 'uint4', [6], Uint8Array.from(u)),
        f32('us', [], [0.25]),
        tensor('uz', 'uint4', [], Uint8Array.of(8)),
      ],
      inputs: [valueInfo('x', [6])],
      outputs: [valueInfo('yq', [6]), valueInfo('yu', [6])],
      opset: 21,
    });
    model.irVersion = 10;
    const session = await ort.InferenceSession.create(encodeModel(model), { executionProviders: ['wasm'] });
    try {
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(6), [6]) });
      expect([...(out['yq']!.data as Float32Array)]).toEqual(q.map((v) => (v + 1) * 0.5));
      expect([...(out['yu']!.data as Float32Array)]).toEqual(u.map((v) => (v - 8) * 0.25));
    } finally {
      await session.release();
    }
  });
});
