// Fixture manifest/ref readers and one onnxruntime-web (wasm) run, shared by ort_reference.ts
// and fixtures.test.ts. In Node, 'onnxruntime-web' resolves to its Node build (dist/ort.node.min.mjs),
// which loads the wasm binary from node_modules; no browser needed.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface FixtureEntry {
  file: string;
  ref: string;
  model: string;
  opset: number;
  bytes: number;
  input: string;
  output: string;
  numClasses: number;
}

export interface FixtureManifest {
  fixtures: FixtureEntry[];
  images: string[];
}

/** Contents of <model>_op<opset>.ref.json; batch sizes are the keys ("1", "3"). */
export interface FixtureRef {
  input_shape: number[];
  inputs: Record<string, number[]>;
  torch: Record<string, number[]>;
  ort?: Record<string, number[]>;
}

export async function readManifest(): Promise<FixtureManifest> {
  return JSON.parse(await readFile(join(fixturesDir, 'manifest.json'), 'utf8')) as FixtureManifest;
}

export async function readRef(refFile: string): Promise<FixtureRef> {
  return JSON.parse(await readFile(join(fixturesDir, refFile), 'utf8')) as FixtureRef;
}

// One thread keeps results deterministic and avoids worker threads in Node.
ort.env.wasm.numThreads = 1;

/** Runs the model on the stored input for `batch` and returns the flat float32 logits. */
export async function runOrt(model: Uint8Array, ref: FixtureRef, batch: number): Promise<Float32Array> {
  const data = ref.inputs[String(batch)];
  if (!data) throw new Error(`ref json has no input for batch ${batch}`);
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    const input = new ort.Tensor('float32', Float32Array.from(data), [batch, ...ref.input_shape]);
    const outputs = await session.run({ [session.inputNames[0]!]: input });
    const logits = outputs[session.outputNames[0]!];
    if (!logits || !(logits.data instanceof Float32Array)) throw new Error('model output is not a float32 tensor');
    return logits.data;
  } finally {
    await session.release();
  }
}
