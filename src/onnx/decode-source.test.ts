import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memorySource, type ByteSource } from './byte-source.ts';
import { decodeModel } from './decode.ts';
import { decodeModelSource } from './decode-source.ts';
import { encodeModel } from './encode.ts';
import { OnnxFormatError } from './ir.ts';
import { isLazyTensor, RECENT_BYTES, valuesOnce } from './lazy-tensor.ts';
import { buildModel, f32, node, valueInfo } from './testing.ts';
import { WireWriter } from './wire.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, '../../tools/fixtures', name)));

/** A source that counts the bytes read through it. */
function counting(bytes: Uint8Array, name = 'model.onnx'): ByteSource & { readBytes: number } {
  const inner = memorySource(bytes, name);
  const source = {
    name,
    size: bytes.length,
    readBytes: 0,
    read(offset: number, length: number) {
      source.readBytes += length;
      return inner.read(offset, length);
    },
  };
  return source;
}

describe('decodeModelSource', () => {
  it('decodes a model to the same graph and values as the whole-buffer decoder', () => {
    for (const name of ['vit_tiny_op17.onnx', 'hf_swin_tiny_op13.onnx']) {
      const bytes = fixture(name);
      const whole = decodeModel(bytes);
      const lazy = decodeModelSource(memorySource(bytes), { lazyFrom: 256 });
      expect(lazy.graph.nodes).toEqual(whole.graph.nodes);
      expect(lazy.opsets).toEqual(whole.opsets);
      expect([...lazy.graph.initializers.keys()]).toEqual([...whole.graph.initializers.keys()]);
      let deferred = 0;
      for (const [key, t] of whole.graph.initializers) {
        const l = lazy.graph.initializers.get(key)!;
        if (isLazyTensor(l)) deferred++;
        expect({ name: l.name, dtype: l.dtype, dims: l.dims }).toEqual({ name: t.name, dtype: t.dtype, dims: t.dims });
        expect(l.data).toEqual(t.data);
      }
      expect(deferred).toBeGreaterThan(5);
    }
  });

  it('reads only the structure until a large tensor is used', () => {
    const data = Array.from({ length: 100_000 }, (_, i) => Math.sin(i));
    const model = buildModel({
      nodes: [node('MatMul', ['x', 'w'], ['y'])],
      initializers: [f32('w', [4, 25_000], data)],
      inputs: [valueInfo('x', ['batch', 4])],
      outputs: [valueInfo('y', ['batch', 25_000])],
    });
    const bytes = encodeModel(model);
    const source = counting(bytes);
    const decoded = decodeModelSource(source);
    expect(source.readBytes).toBeLessThan(bytes.length / 2);
    const w = decoded.graph.initializers.get('w')!;
    expect(isLazyTensor(w)).toBe(true);
    expect(Array.from(w.data as Float32Array)).toEqual(data.map(Math.fround));
    // A spread copies the values, as it does for any tensor.
    expect({ ...w }.data).toEqual(w.data);
  });

  it('reads an external data file lazily when it is given as a source', () => {
    // The model's tensor w in weights.bin at offset 8, as onnx.save_model(save_as_external_data=True) lays it out.
    const entry = (k: string, v: string) => new WireWriter().string(1, k).string(2, v);
    const tensor = new WireWriter().packedInts(1, [2, 3]).int(2, 1).string(8, 'w')
      .message(13, entry('location', 'weights.bin')).message(13, entry('offset', '8')).message(13, entry('length', '24')).int(14, 1);
    const output = new WireWriter().string(1, 'w').message(2, new WireWriter().message(1, new WireWriter().int(1, 1)));
    const bytes = new WireWriter().int(1, 8).message(7, new WireWriter().message(5, tensor).message(12, output)).message(8, new WireWriter().int(2, 17)).finish();
    const file = new Uint8Array(8 + 24);
    new Float32Array(file.buffer, 8, 6).set([1, 2, 3, 4, 5, 6]);
    const data = counting(file, 'weights.bin');
    const model = decodeModelSource(memorySource(bytes), { externalData: (loc) => (loc === 'weights.bin' ? data : undefined) });
    const w = model.graph.initializers.get('w')!;
    expect(isLazyTensor(w)).toBe(true);
    expect(data.readBytes).toBe(0);
    expect(w.data).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6));
    expect(data.readBytes).toBe(24);
    expect(() => decodeModelSource(memorySource(bytes), { externalData: () => memorySource(file.subarray(0, 20), 'weights.bin') }))
      .toThrow('model.onnx: tensor "w" needs bytes 8..32 of "weights.bin", which has only 20 bytes');
  });

  it('refuses a file that is not ONNX in one line, naming it', () => {
    const text = new TextEncoder().encode('hello, this is not a model at all\n'.repeat(10));
    expect(() => decodeModelSource(memorySource(text, 'notes.onnx'))).toThrow(OnnxFormatError);
    expect(() => decodeModelSource(memorySource(text, 'notes.onnx'))).toThrow(/^notes\.onnx is not an ONNX model: it is a text file/);
    const truncated = fixture('vit_tiny_op17.onnx').subarray(0, 5000);
    expect(() => decodeModelSource(memorySource(truncated, 'cut.onnx'))).toThrow(/^cut\.onnx is not an ONNX model: .*truncated|overruns/);
    expect(() => decodeModelSource(memorySource(new Uint8Array(0), 'empty.onnx'))).toThrow('empty.onnx is empty (0 bytes), not an ONNX model');
  });

  it('names the file when it changed under a lazy tensor', () => {
    const bytes = fixture('vit_tiny_op17.onnx');
    let size = bytes.length;
    const inner = memorySource(bytes, 'vit.onnx');
    const source: ByteSource = { name: 'vit.onnx', get size() { return size; }, read: (o, l) => {
      if (o + l > size) throw new RangeError(`vit.onnx: bytes ${o}..${o + l} are outside the file (${size} bytes); was it changed or truncated after it was opened?`);
      return inner.read(o, l);
    } };
    const model = decodeModelSource(source, { lazyFrom: 1024 });
    size = 100;
    const big = [...model.graph.initializers.values()].find(isLazyTensor)!;
    expect(() => big.data).toThrow(/vit\.onnx: bytes .* outside the file/);
  });

  it('keeps only the tensors read last in memory, and reads a dropped one again when used', () => {
    // Five 20 MiB weights: more than the recent-values cache holds.
    const count = 5 * 2 ** 20;
    const model = buildModel({
      nodes: [node('Identity', ['x'], ['y'])],
      initializers: Array.from({ length: 5 }, (_, i) => ({ name: `w${i}`, dtype: 'float32' as const, dims: [count], data: new Float32Array(count).fill(i + 1) })),
      inputs: [valueInfo('x', [1])],
      outputs: [valueInfo('y', [1])],
    });
    const source = counting(encodeModel(model));
    const decoded = decodeModelSource(source);
    const tensors = [...decoded.graph.initializers.values()].filter(isLazyTensor);
    expect(tensors).toHaveLength(5);
    for (const t of tensors) expect((t.data as Float32Array)[count - 1]).toBe(Number(t.name.slice(1)) + 1);
    expect(tensors.filter((t) => t.resident).length * 20 * 2 ** 20).toBeLessThanOrEqual(RECENT_BYTES);
    expect(tensors.at(-1)!.resident).toBe(true);
    expect(tensors[0].resident).toBe(false);
    const before = source.readBytes;
    expect((tensors[0].data as Float32Array)[0]).toBe(1);
    expect(source.readBytes - before).toBe(4 * count);
  });

  it('reads a tensor for one pass without keeping it, and reuses it when it is kept already', () => {
    const count = 2 ** 16;
    const model = buildModel({
      nodes: [node('Identity', ['x'], ['y'])],
      initializers: [{ name: 'w', dtype: 'float32' as const, dims: [count], data: new Float32Array(count).fill(7) }],
      inputs: [valueInfo('x', [1])],
      outputs: [valueInfo('y', [1])],
    });
    const source = counting(encodeModel(model));
    const w = [...decodeModelSource(source, { lazyFrom: 1024 }).graph.initializers.values()].find(isLazyTensor)!;
    const before = source.readBytes;
    expect((valuesOnce(w) as Float32Array)[count - 1]).toBe(7);
    expect(w.resident).toBe(false);
    expect(source.readBytes - before).toBe(4 * count);
    expect((w.data as Float32Array)[0]).toBe(7);
    expect(w.resident).toBe(true);
    const kept = source.readBytes;
    expect(valuesOnce(w)).toBe(w.data);
    expect(source.readBytes).toBe(kept);
  });
});
