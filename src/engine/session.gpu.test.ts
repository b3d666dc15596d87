import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../gpu/testing.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { RefTensor } from '../onnx/ops/types.ts';
import { runReference } from './cpu/executor.ts';
import { GpuModel } from './session.ts';

interface Manifest {
  fixtures: { file: string; ref: string; input: string; output: string }[];
}
interface Ref {
  input_shape: number[];
  inputs: Record<string, number[]>;
  ort: Record<string, number[]>;
}

const fetchBytes = async (path: string) => new Uint8Array(await (await fetch(path)).arrayBuffer());
const fetchJson = async <T,>(path: string) => (await (await fetch(path)).json()) as T;
const manifest = await fetchJson<Manifest>('/tools/fixtures/manifest.json');

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return Number.isNaN(max) ? Infinity : max;
}

describe('whole models on WebGPU match onnxruntime and the float64 reference', () => {
  for (const fixture of manifest.fixtures) {
    it(fixture.file, async () => {
      const ctx = await gpuForTests();
      const model = decodeModel(await fetchBytes(`/tools/fixtures/${fixture.file}`), { fileName: fixture.file });
      const ref = await fetchJson<Ref>(`/tools/fixtures/${fixture.ref}`);
      const gpuModel = new GpuModel(ctx, model);
      try {
        for (const batch of [1, 3]) {
          const input = Float32Array.from(ref.inputs[String(batch)]);
          const { outputs } = await gpuModel.run({ [fixture.input]: input }, batch);
          const logits = outputs[fixture.output];
          expect(logits.dims).toEqual([batch, 2]);
          expect(maxAbsDiff(logits.data, ref.ort[String(batch)])).toBeLessThan(1e-3);

          const dims = [batch, ...ref.input_shape];
          const feeds: Record<string, RefTensor> = { [fixture.input]: { dtype: 'float32', dims, data: Float64Array.from(input) } };
          const cpu = runReference(model, feeds).outputs[fixture.output];
          expect(maxAbsDiff(logits.data, cpu.data)).toBeLessThan(1e-4);
        }
      } finally {
        gpuModel.dispose();
      }
    });
  }
});
