/** The exporter fixtures from tools/make_fixtures.py through decode, encode and prepare. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest, readRef, runOrt, type FixtureEntry } from './ort_session.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { encodeModel } from '../src/onnx/encode.ts';
import { onnxOps } from '../src/onnx/ops/index.ts';
import { opKey, type RefTensor } from '../src/onnx/ops/types.ts';
import { modelInputDims, prepareModel, type PreparedGraph } from '../src/onnx/prepare.ts';

const fixturesDir = join(import.meta.dirname, './fixtures');
const manifest = await readManifest();
const load = (f: FixtureEntry) => decodeModel(new Uint8Array(readFileSync(join(fixturesDir, f.file))), { fileName: f.file });

/** Shape plumbing that must never survive to runtime once the batch is fixed. */
const PLUMBING = ['Shape', 'Size', 'ConstantOfShape', 'Constant', 'Range', 'Where', 'Expand', 'Equal', 'Cast', 'Unsqueeze', 'NonZero'];

/** Runs the runtime nodes of a prepared graph with the float64 reference ops. */
function evaluatePrepared(p: PreparedGraph, input: RefTensor): RefTensor {
  const values = new Map<string, RefTensor>(p.constants);
  values.set(p.inputs[0]!.name, input);
  for (const n of p.nodes) {
    const results = onnxOps[opKey(n)]!.evaluate(n.inputs.map((i) => (i ? values.get(i) : undefined)), { node: n, opset: p.opset });
    n.outputs.forEach((o, i) => o && results[i] && values.set(o, results[i]!));
  }
  return values.get(p.outputs[0]!.name)!;
}

it('the manifest lists fixtures', () => {
  expect(manifest.fixtures.length).toBeGreaterThanOrEqual(8);
});

describe.each(manifest.fixtures)('$file', (f) => {
  const model = load(f);

  it('decodes and round-trips through encodeModel exactly', () => {
    expect(model.graph.inputs.map((i) => i.name)).toEqual([f.input]);
    expect(model.graph.outputs.map((o) => o.name)).toEqual([f.output]);
    const again = decodeModel(encodeModel(model));
    expect(again).toEqual(model);
  });

  it('re-encoded, gives onnxruntime-web the reference logits', async () => {
    const ref = await readRef(f.ref);
    const logits = await runOrt(encodeModel(model), ref, 1);
    const expected = ref.ort?.['1'] ?? ref.torch['1']!;
    expect(logits.length).toBe(expected.length);
    logits.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5));
  });

  it.each([1, 3])('prepares at batch %i to real compute only, with the reference logits', async (batch) => {
    const p = prepareModel(model, modelInputDims(model, batch), onnxOps);
    const ops = new Set(p.nodes.map((n) => n.opType));
    for (const op of PLUMBING) expect(ops.has(op), `${op} left at runtime`).toBe(false);
    expect(p.nodes.length).toBeLessThan(model.graph.nodes.length);
    for (const n of p.nodes) expect(n.inputs.some((i) => i && !p.constants.has(i)), `${n.name} has only constant inputs`).toBe(true);
    expect(p.outputs).toEqual([{ name: f.output, dtype: 'float32', shape: [batch, f.numClasses] }]);
    for (const n of p.nodes) for (const o of n.outputs) if (o) expect(p.shapes.has(o), `shape of ${o}`).toBe(true);

    const ref = await readRef(f.ref);
    const input: RefTensor = { dtype: 'float32', dims: [batch, ...ref.input_shape], data: Float64Array.from(ref.inputs[String(batch)]!) };
    const out = evaluatePrepared(p, input);
    expect(out.dims).toEqual([batch, f.numClasses]);
    const expected = ref.ort?.[String(batch)] ?? ref.torch[String(batch)]!;
    out.data.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-4));
  });
});
