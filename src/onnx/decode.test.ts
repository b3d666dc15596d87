import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from './decode.ts';
import { encodeModel } from './encode.ts';
import { OnnxFormatError, type Model, type Tensor } from './ir.ts';
import { buildModel, f32, node, valueInfo } from './testing.ts';
import { WireWriter } from './wire.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, '../../tools/fixtures', name)));

/** A ModelProto whose graph holds one initializer written field by field, and returns it as output. */
function modelWithTensorProto(build: (t: WireWriter) => void): Uint8Array {
  const t = new WireWriter();
  build(t);
  t.string(8, 'w');
  const tensorType = new WireWriter().int(1, 1);
  const output = new WireWriter().string(1, 'w').message(2, new WireWriter().message(1, tensorType));
  const graph = new WireWriter().string(2, 'g').message(5, t).message(12, output);
  const opset = new WireWriter().int(2, 17);
  return new WireWriter().int(1, 8).message(7, graph).message(8, opset).finish();
}

function decodedTensor(build: (t: WireWriter) => void): Tensor {
  return decodeModel(modelWithTensorProto(build)).graph.initializers.get('w')!;
}

/** The one-line OnnxFormatError message `fn` throws. */
function formatError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxFormatError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected an OnnxFormatError, but decoding succeeded');
}

function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

describe('decodeModel on a real export', () => {
  const model = decodeModel(fixture('vit_tiny_op13.onnx'));

  it('reads the graph, inputs without initializers, outputs with symbolic dims, and opsets', () => {
    expect(model.opsets).toEqual([{ domain: '', version: 13 }]);
    expect(model.producerName).toBe('pytorch');
    expect(model.graph.inputs).toEqual([{ name: 'pixel_values', dtype: 'float32', shape: ['batch_size', 3, 32, 32] }]);
    expect(model.graph.outputs.map((o) => o.name)).toEqual(['logits']);
    expect(model.graph.outputs[0]!.shape![0]).toBe('batch_size');
    for (const input of model.graph.inputs) expect(model.graph.initializers.has(input.name)).toBe(false);
  });

  it('reads nodes with attributes and every initializer\'s data', () => {
    const conv = model.graph.nodes.find((n) => n.opType === 'Conv')!;
    expect(conv.attrs['strides']).toEqual({ type: 'ints', value: [8, 8] });
    const weight = model.graph.initializers.get(conv.inputs[1]!)!;
    expect(weight.dtype).toBe('float32');
    expect(weight.data.length).toBe(weight.dims.reduce((a, b) => a * b, 1));
    expect(weight.data).toBeInstanceOf(Float32Array);
    const constants = model.graph.nodes.filter((n) => n.opType === 'Constant');
    expect(constants.length).toBeGreaterThan(0);
    for (const c of constants) expect(c.attrs['value']?.type).toBe('tensor');
  });
});

describe('decodeModel input buffers', () => {
  it('accepts a Node Buffer at an odd offset and copies tensor data out of it', () => {
    const plain = fixture('hf_vit_tiny_op13.onnx');
    const odd = Buffer.concat([Buffer.from([0xaa]), Buffer.from(plain)]).subarray(1);
    const expected = decodeModel(plain);
    const decoded = decodeModel(odd);
    expect(decoded).toEqual(expected);
    odd.fill(0);
    expect(decoded).toEqual(expected);
  });
});

describe('tensor storage', () => {
  it('reads float_data, double_data, int64_data and uint64_data, packed or not', () => {
    expect(decodedTensor((t) => t.packedInts(1, [2]).int(2, 1).packedFloats(4, [1.5, -2])).data).toEqual(Float32Array.of(1.5, -2));
    expect(decodedTensor((t) => t.int(1, 2).int(2, 1).float(4, 1.5).float(4, -2)).data).toEqual(Float32Array.of(1.5, -2));
    expect(decodedTensor((t) => t.int(1, 2).int(2, 11).double(10, 0.1).double(10, 1e300)).data).toEqual(Float64Array.of(0.1, 1e300));
    const i64 = decodedTensor((t) => t.int(1, 3).int(2, 7).packedInts(7, [-1, 2 ** 40, 9]));
    expect(i64).toMatchObject({ dtype: 'int64', dims: [3] });
    expect(i64.data).toEqual(Float64Array.of(-1, 2 ** 40, 9));
    const u64 = decodedTensor((t) => t.int(1, 1).int(2, 13).uint(11, 2 ** 63));
    expect(u64.data).toEqual(Float64Array.of(2 ** 63));
  });

  it('reads int32_data for int32, int8, uint8 and bool, and string_data', () => {
    expect(decodedTensor((t) => t.int(1, 2).int(2, 6).packedInts(5, [-5, 70000])).data).toEqual(Int32Array.of(-5, 70000));
    expect(decodedTensor((t) => t.int(1, 2).int(2, 3).packedInts(5, [-5, 100])).data).toEqual(Int8Array.of(-5, 100));
    expect(decodedTensor((t) => t.int(1, 2).int(2, 2).packedInts(5, [200, 3])).data).toEqual(Uint8Array.of(200, 3));
    expect(decodedTensor((t) => t.int(1, 3).int(2, 9).packedInts(5, [1, 0, 1])).data).toEqual(Uint8Array.of(1, 0, 1));
    expect(decodedTensor((t) => t.int(1, 2).int(2, 8).string(6, 'a').string(6, 'bc')).data).toEqual(['a', 'bc']);
  });

  it('reads little-endian raw_data, including negative int64', () => {
    const raw = new Uint8Array(16);
    new DataView(raw.buffer).setBigInt64(0, -3n, true);
    new DataView(raw.buffer).setBigInt64(8, 2n ** 62n, true);
    expect(decodedTensor((t) => t.int(1, 2).int(2, 7).bytes(9, raw)).data).toEqual(Float64Array.of(-3, 2 ** 62));
  });

  it('widens float16 (raw and int32_data) and bfloat16 to float32', () => {
    // 1.0, -2.0, 0.5, 65504 (max), 2^-24 (smallest subnormal), -0, +inf
    const halves = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000, 0x7c00];
    const expected = Float32Array.of(1, -2, 0.5, 65504, 2 ** -24, -0, Infinity);
    const raw = new Uint8Array(halves.length * 2);
    halves.forEach((h, i) => new DataView(raw.buffer).setUint16(i * 2, h, true));
    expect(decodedTensor((t) => t.int(1, halves.length).int(2, 10).bytes(9, raw)).data).toEqual(expected);
    expect(decodedTensor((t) => t.int(1, halves.length).int(2, 10).packedInts(5, halves)).data).toEqual(expected);
    // bfloat16 0x3fc0 = 1.5, 0xc080 = -4
    expect(decodedTensor((t) => t.int(1, 2).int(2, 16).packedInts(5, [0x3fc0, 0xc080])).data).toEqual(Float32Array.of(1.5, -4));
  });

  it('unpacks int4 and uint4, low nibble first, from raw_data and int32_data', () => {
    // int4 [1, -1, 7, -8, 3] → bytes 0xF1, 0x87, 0x03 (the last high nibble is padding)
    expect(decodedTensor((t) => t.int(1, 5).int(2, 22).bytes(9, Uint8Array.of(0xf1, 0x87, 0x03))).data).toEqual(Int8Array.of(1, -1, 7, -8, 3));
    expect(decodedTensor((t) => t.int(1, 5).int(2, 22).packedInts(5, [0xf1, 0x87, 0x03])).data).toEqual(Int8Array.of(1, -1, 7, -8, 3));
    expect(decodedTensor((t) => t.int(1, 3).int(2, 21).bytes(9, Uint8Array.of(0x0f, 0x09))).data).toEqual(Uint8Array.of(15, 0, 9));
  });
});

describe('bad input gives one clear OnnxFormatError line', () => {
  const good = fixture('vit_tiny_op13.onnx');

  it('an empty file', () => {
    expect(formatError(() => decodeModel(new Uint8Array(0), { fileName: 'empty.onnx' }))).toBe('empty.onnx is empty (0 bytes), not an ONNX model');
  });

  it('a truncated file, at several cut points', () => {
    for (const cut of [1, 3, 100, 5000, Math.floor(good.length / 2), good.length - 1]) {
      const message = formatError(() => decodeModel(good.subarray(0, cut), { fileName: 'model.onnx' }));
      expect(message).toMatch(new RegExp(`^model\\.onnx is not an ONNX model: (truncated.* at byte \\d+ of ${cut}|it holds no graph)$`));
    }
    expect(formatError(() => decodeModel(good.subarray(0, 5000), { fileName: 'model.onnx' }))).toMatch(/^model\.onnx is not an ONNX model: truncated .*at byte \d+ of 5000$/);
  });

  it('random bytes, without hanging', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const message = formatError(() => decodeModel(seededBytes(64 + seed * 37, seed), { fileName: 'noise.bin' }));
      expect(message).toMatch(/^noise\.bin(: | is not an ONNX model: )/);
    }
  });

  it('corrupted real models: every failure is an OnnxFormatError', () => {
    let failures = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const bytes = good.slice();
      const noise = seededBytes(8, seed);
      for (let k = 0; k < 4; k++) bytes[(noise[k]! * 65537 * seed + k * 7919) % bytes.length] ^= noise[k + 4]! | 1;
      try {
        decodeModel(bytes);
      } catch (e) {
        failures++;
        expect(e).toBeInstanceOf(OnnxFormatError);
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('a text file and a JSON file', () => {
    const text = new TextEncoder().encode('hello, this is not a model\nsecond line\n');
    expect(formatError(() => decodeModel(text, { fileName: 'notes.txt' }))).toBe('notes.txt is not an ONNX model: it is a text file (starts with "hello, this is not a mod")');
    const json = new TextEncoder().encode(JSON.stringify({ model: 'vit', layers: [1, 2, 3] }));
    expect(formatError(() => decodeModel(json, { fileName: 'config.json' }))).toMatch(/^config\.json is not an ONNX model: it is a text file \(starts with "\{"model"/);
  });

  it('valid protobuf that is not an ONNX model', () => {
    const other = new WireWriter().int(1, 3).string(2, 'a different message').int(5, 7).finish();
    expect(formatError(() => decodeModel(other, { fileName: 'other.pb' }))).toBe('other.pb is not an ONNX model: it holds no graph');
  });

  it('a known field with the wrong wire type', () => {
    const bytes = new WireWriter().int(1, 8).int(7, 5).finish();
    expect(formatError(() => decodeModel(bytes, { fileName: 'm.onnx' }))).toMatch(/^m\.onnx is not an ONNX model: graph has wire type 0, expected 2 at byte \d+ of \d+$/);
  });

  it('tensor data that does not fit its dims', () => {
    const bytes = modelWithTensorProto((t) => t.packedInts(1, [2, 3]).int(2, 1).bytes(9, new Uint8Array(20)));
    expect(formatError(() => decodeModel(bytes, { fileName: 'm.onnx' }))).toBe('m.onnx: tensor "w" has 20 bytes of raw_data but float32 dims [2, 3] need 24');
    const typed = modelWithTensorProto((t) => t.int(1, 3).int(2, 1).packedFloats(4, [1, 2]));
    expect(formatError(() => decodeModel(typed, { fileName: 'm.onnx' }))).toBe('m.onnx: tensor "w" has 2 values but float32 dims [3] need 3');
  });

  it('an unsupported tensor type names the type', () => {
    const bytes = modelWithTensorProto((t) => t.int(1, 1).int(2, 17).bytes(9, new Uint8Array(1)));
    expect(formatError(() => decodeModel(bytes, { fileName: 'm.onnx' }))).toBe('m.onnx: tensor "w" has unsupported type FLOAT8E4M3FN');
  });

  it('implausible dims are rejected before allocating', () => {
    const bytes = modelWithTensorProto((t) => t.packedInts(1, [2 ** 20, 2 ** 20, 2 ** 20]).int(2, 1));
    expect(formatError(() => decodeModel(bytes))).toMatch(/implausible dims/);
  });

  it('deeply nested subgraphs are refused instead of recursing without end', () => {
    let graph = new WireWriter().string(2, 'leaf');
    for (let i = 0; i < 40; i++) {
      const attr = new WireWriter().string(1, 'body').message(6, graph).int(20, 5);
      const n = new WireWriter().string(4, 'If').message(5, attr);
      graph = new WireWriter().message(1, n);
    }
    const bytes = new WireWriter().int(1, 8).message(7, graph).finish();
    expect(formatError(() => decodeModel(bytes))).toMatch(/subgraphs nested deeper than 32/);
  });
});

describe('external data', () => {
  const model: Model = buildModel({
    nodes: [node('MatMul', ['x', 'w'], ['y'])],
    initializers: [f32('w', [4, 300], Array.from({ length: 1200 }, (_, i) => i / 7)), f32('tiny', [2], [1, 2])],
    inputs: [valueInfo('x', ['batch', 4])],
    outputs: [valueInfo('y', ['batch', 300])],
  });

  function withExternal(): { bytes: Uint8Array; data: Uint8Array } {
    // A hand-written layout, as onnx.save_model(save_as_external_data=True) produces it.
    const base = decodeModel(encodeModel(model));
    base.graph.initializers.delete('w');
    const bytes = encodeModel(base);
    const data = new Uint8Array(128 + 4800);
    const view = new DataView(data.buffer);
    for (let i = 0; i < 1200; i++) view.setFloat32(128 + i * 4, Math.fround(i / 7), true);
    const entry = (k: string, v: string) => new WireWriter().string(1, k).string(2, v);
    const tensor = new WireWriter().packedInts(1, [4, 300]).int(2, 1).string(8, 'w')
      .message(13, entry('location', 'weights.onnx_data')).message(13, entry('offset', '128')).message(13, entry('length', '4800')).int(14, 1);
    // Appending a second graph field merges into the first, as protobuf does for repeated fields.
    const extra = new WireWriter().message(7, new WireWriter().message(5, tensor)).finish();
    return { bytes: concat(bytes, extra), data };
  }

  it('reads tensors at the offset and length named in external_data', () => {
    const { bytes, data } = withExternal();
    const seen: string[] = [];
    const decoded = decodeModel(bytes, { externalData: (loc) => (seen.push(loc), loc === 'weights.onnx_data' ? data : undefined) });
    expect(seen).toEqual(['weights.onnx_data']);
    expect(decoded.graph.initializers.get('w')!.data).toEqual(model.graph.initializers.get('w')!.data);
  });

  it('names the missing .onnx_data file', () => {
    const { bytes } = withExternal();
    expect(formatError(() => decodeModel(bytes, { fileName: 'big.onnx' }))).toBe(
      'big.onnx: tensor "w" is stored in the external data file "weights.onnx_data", which was not provided; add weights.onnx_data next to the model',
    );
    expect(formatError(() => decodeModel(bytes, { fileName: 'big.onnx', externalData: () => undefined }))).toMatch(/"weights\.onnx_data", which was not provided/);
  });

  it('reports an external data file that is too short', () => {
    const { bytes, data } = withExternal();
    expect(formatError(() => decodeModel(bytes, { fileName: 'big.onnx', externalData: () => data.subarray(0, 1000) }))).toBe(
      'big.onnx: tensor "w" needs bytes 128..4928 of "weights.onnx_data", which has only 1000 bytes',
    );
  });
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
