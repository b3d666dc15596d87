import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../onnx/decode.ts';
import { elementCount } from '../../onnx/ir.ts';
import { worthHalving } from '../../storage/half-floats.ts';
import { floatModelFor, halfFloatModel, HALF_MAX, roundToHalf } from './half-floats.ts';
import { quantizableLayers } from '../layers.ts';

/** An independent float16 rounding in float64 arithmetic: 11 significant bits, spacing 2^-24 below 2^-14, ties to even. */
function nearestHalf(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const q = 2 ** (Math.max(e, -14) - 10);
  const v = a / q;
  const f = Math.floor(v);
  const n = v - f > 0.5 || (v - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  const r = n * q;
  return Math.sign(x) * (r > HALF_MAX ? Infinity : r);
}

describe('rounding to float16', () => {
  it('gives the known float16 values, ties to even', () => {
    expect(roundToHalf(1)).toBe(1);
    expect(roundToHalf(0.1)).toBe(0.0999755859375); // 0x2E66
    expect(roundToHalf(-2 / 3)).toBe(-0.66650390625); // 0xB955
    expect(roundToHalf(1 + 2 ** -11)).toBe(1); // halfway between 1 and 1 + 2^-10: the even one
    expect(roundToHalf(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even)
    expect(roundToHalf(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10); // just past halfway
    expect(roundToHalf(2048 + 1)).toBe(2048); // spacing 2 above 2048, tie to even
    expect(roundToHalf(2048 + 3)).toBe(2052);
    expect(Object.is(roundToHalf(-0), -0)).toBe(true);
  });

  it('keeps subnormals, with ties to even down to zero', () => {
    expect(roundToHalf(2 ** -14)).toBe(2 ** -14); // smallest normal
    expect(roundToHalf(2 ** -24)).toBe(2 ** -24); // smallest subnormal
    expect(roundToHalf(5 * 2 ** -24)).toBe(5 * 2 ** -24);
    expect(roundToHalf(2 ** -25)).toBe(0); // halfway between 0 (even) and 2^-24
    expect(roundToHalf(1.5 * 2 ** -25)).toBe(2 ** -24);
    expect(roundToHalf(3 * 2 ** -25)).toBe(2 ** -23); // halfway between 2^-24 (odd) and 2^-23
    expect(roundToHalf(1e-5)).toBe(168 * 2 ** -24); // 1.0013580322265625e-5
    expect(roundToHalf(1e-12)).toBe(0);
  });

  it('reaches infinity only beyond the float16 range', () => {
    expect(roundToHalf(HALF_MAX)).toBe(HALF_MAX);
    expect(roundToHalf(65519)).toBe(HALF_MAX);
    expect(roundToHalf(65520)).toBe(Infinity); // halfway to 65536, which is past the range
    expect(roundToHalf(-1e6)).toBe(-Infinity);
  });

  it('agrees with an independent float64 rounding on many float32 values of every magnitude', () => {
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    let seed = 12345;
    for (let i = 0; i < 200_000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      // exponents 2^-30 .. 2^17, any mantissa and sign
      bits[0] = (seed & 0x807fffff) | ((97 + (i % 48)) << 23);
      expect(roundToHalf(f[0])).toBe(nearestHalf(f[0]));
    }
  });
});

const model = decodeModel(new Uint8Array(readFileSync(join(import.meta.dirname, '../../../tools/fixtures/vit_tiny_op17.onnx'))), { fileName: 'vit_tiny_op17.onnx' });

describe('the float16-rounded model', () => {
  it('rounds every float tensor but the quantizable weights and small constants, and rounding it again changes nothing', () => {
    const { model: rounded, rounded: list, kept } = halfFloatModel(model);
    const weights = new Set(quantizableLayers(model).map((l) => l.weight));
    const names = new Set(list.map((t) => t.name));
    expect(kept).toEqual([]);
    let changed = 0;
    for (const [name, t] of model.graph.initializers) {
      const r = rounded.graph.initializers.get(name)!;
      const eligible = t.dtype === 'float32' && !weights.has(name) && worthHalving(name, elementCount(t.dims));
      expect(names.has(name), name).toBe(eligible);
      if (!eligible) {
        expect(r, name).toBe(t);
        continue;
      }
      (r.data as Float32Array).forEach((v, i) => {
        expect(v).toBe(roundToHalf(t.data[i] as number));
        if (v !== t.data[i]) changed++;
      });
    }
    expect(names.size).toBeGreaterThanOrEqual(5); // position embedding and the wider biases (32-value norms do not pay)
    expect(changed).toBeGreaterThan(100);
    const again = halfFloatModel(rounded).model;
    for (const [name, t] of rounded.graph.initializers) expect(Array.from(again.graph.initializers.get(name)!.data as Float32Array), name).toEqual(Array.from(t.data as Float32Array));
    expect(floatModelFor(model, 'fp32')).toBe(model);
    expect(floatModelFor(model, undefined)).toBe(model);
  });

  it('keeps a tensor in float32 when a value is beyond the float16 range, and says which', () => {
    const [name, t] = [...halfFloatModel(model).rounded].map((r) => [r.name, model.graph.initializers.get(r.name)!] as const)[0];
    const big = Float32Array.from(t.data as Float32Array);
    big[0] = 1e5;
    const init = new Map(model.graph.initializers).set(name, { ...t, data: big });
    const out = halfFloatModel({ ...model, graph: { ...model.graph, initializers: init } });
    expect(out.kept).toEqual([name]);
    expect(out.model.graph.initializers.get(name)!.data).toBe(big);
    expect(out.rounded.map((r) => r.name)).not.toContain(name);
  });
});
