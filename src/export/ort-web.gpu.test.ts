/**
 * The exported file runs in onnxruntime-web, on the wasm build and the native WebGPU EP, and
 * computes what the studio simulated; the studio's own engine reads it back on WebGPU too.
 */
import { describe, expect, it } from 'vitest';
import { runReference } from '../engine/cpu/executor.ts';
import { GpuModel } from '../engine/session.ts';
import { gpuForTests } from '../gpu/testing.ts';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { quantGpuOps, quantReferenceOps } from '../quant/fake-quant-op.ts';
import { DEFAULT_SETTINGS } from '../quant/pipeline.ts';
import { simulatedModel } from '../quant/simulate.ts';
import { exportOnnx } from './export.ts';
import { ortWeb, WEB_RUNTIMES } from './ort-web.ts';
import { syntheticQuantization } from './testing.ts';
import { verifyExport } from './verify.ts';

const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const BATCH = 3;
const dims = [BATCH, 3, 32, 32];
const pixels = Float32Array.from({ length: BATCH * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37) * 1.7);
const q = syntheticQuantization(model, Float64Array.from(pixels), dims, [2, 3, 4, 6, 8], 8);
const layers = analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight));
const simulated = simulatedModel(model, layers, q.plan);
const reference = runReference(simulated, { [model.graph.inputs[0].name]: { dtype: 'float32', dims, data: Float64Array.from(pixels) } }, { ops: { ...onnxOps, ...quantReferenceOps } })
  .outputs[model.graph.outputs[0].name].data;
const FP32 = { ...DEFAULT_SETTINGS, floatParams: 'fp32' as const }; // half-floats.gpu.test.ts covers float16 float parameters
const rows = Array.from({ length: BATCH }, (_, i) => Array.from(reference.subarray(i * 2, i * 2 + 2)));

describe("exports in onnxruntime-web", () => {
  for (const format of ['qdq', 'nbits', 'auto'] as const) {
    for (const { ep, runtime } of WEB_RUNTIMES) {
      it(`${format} weights on ${runtime}: logits within 1e-4 of the simulation, every prediction agreeing`, async () => {
        const { bytes } = exportOnnx(model, { layers: q.codes, activations: q.activations, method: 'rtn', settings: FP32 }, { target: ep, format });
        const v = await verifyExport(await ortWeb(ep), runtime, ep, bytes, {
          batches: [{ pixels, count: BATCH }], dims: [3, 32, 32], simulated: rows, isFake: [true, false, true],
        });
        expect(v.error).toBeNull();
        expect(v.ok).toBe(true);
        expect(v.images).toBe(BATCH);
        expect(v.maxAbsDeltaLogit!).toBeLessThan(1e-4);
        expect(v.agreement).toBe(1);
        expect(v.auc).toBe(v.simulatedAuc);
        expect(v.msPerImage!).toBeGreaterThan(0);
        if (ep === 'webgpu' && format === 'qdq') {
          // Placement is read from onnxruntime's verbose log (given for the page's first WebGPU
          // session; later ones in the same page have come back silent): matmuls run on the GPU.
          expect(v.placement.some((p) => p.startsWith('WebGpuExecutionProvider'))).toBe(true);
          expect(v.fellBack.length).toBeGreaterThan(0); // shape plumbing (and QuantizeLinear) stay on the CPU
          expect(v.fellBack.filter((n) => /^(MatMul|MatMulNBits|Conv|Gemm|DequantizeLinear|Softmax|LayerNormalization) /.test(n))).toEqual([]);
        }
      });
    }
  }

  it('the studio engine runs the exported file on WebGPU (Q/DQ kernels, folded weights) like the simulated model', async () => {
    const ctx = await gpuForTests();
    const { bytes } = exportOnnx(model, { layers: q.codes, activations: q.activations, method: 'rtn', settings: FP32 }, { target: 'wasm', format: 'nbits' });
    const exported = new GpuModel(ctx, decodeModel(bytes));
    const sim = new GpuModel(ctx, simulated, { reference: quantReferenceOps, gpu: quantGpuOps });
    try {
      const input = model.graph.inputs[0].name;
      const a = (await exported.run({ [input]: pixels }, BATCH)).outputs[model.graph.outputs[0].name].data;
      const b = (await sim.run({ [input]: pixels }, BATCH)).outputs[model.graph.outputs[0].name].data;
      let worst = 0;
      a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]), Math.abs(v - reference[i]))));
      expect(worst).toBeLessThan(1e-4);
      expect(exported.plan(BATCH).nodes.some((n) => n.opType === 'QuantizeLinear')).toBe(true);
      expect(exported.plan(BATCH).nodes.some((n) => n.opType === 'DequantizeNBits' || n.opType === 'MatMulNBits')).toBe(false); // folded
    } finally {
      exported.dispose();
      sim.dispose();
    }
  });
});
