/**
 * The exported file runs in onnxruntime-web, on the wasm build and the native WebGPU EP, and
 * computes what the studio simulated; the studio's own engine reads it back on WebGPU too.
 */
import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../gpu/testing.ts';
import { decodeModel } from '../onnx/decode.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { engineAgainstSimulation } from './engine-check.ts';
import { exportOnnx } from './export.ts';
import { ortWeb, WEB_RUNTIMES } from './ort-web.ts';
import { simulatedFixture } from './testing.ts';
import { verifyExport } from './verify.ts';

const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const BATCH = 3;
const dims = [BATCH, 3, 32, 32];
const pixels = Float32Array.from({ length: BATCH * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37) * 1.7);
const { q, simulated, reference, rows } = simulatedFixture(model, pixels, dims);
const FP32 = { ...DEFAULT_SETTINGS, floatParams: 'fp32' as const }; // half-floats.gpu.test.ts covers float16 float parameters

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
    const { worst, planned } = await engineAgainstSimulation(ctx, bytes, simulated, reference, pixels, BATCH);
    expect(worst).toBeLessThan(1e-4);
    expect(decodeModel(bytes).graph.nodes.some((n) => n.opType === 'MatMulNBits')).toBe(true);
    expect(planned.some((n) => n.opType === 'QuantizeLinear')).toBe(true);
    expect(planned.some((n) => n.opType === 'DequantizeNBits' || n.opType === 'MatMulNBits')).toBe(false); // folded
  });
});
