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
import { speedRatio, verifyExport } from './verify.ts';

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
        const { bytes } = exportOnnx(model, { layers: q.codes, activations: q.activations, method: 'rtn', settings: FP32 }, { target: 'wasm', format });
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
          // Placement is read from onnxruntime's verbose log: matmuls run on the GPU, QuantizeLinear on the CPU.
          expect(v.placement.some((p) => p.startsWith('WebGpuExecutionProvider'))).toBe(true);
          expect(v.fellBack.map((n) => n.split(' ')[0])).toContain('QuantizeLinear');
          expect(v.fellBack.filter((n) => /^(MatMul|MatMulNBits|Conv|Gemm|DequantizeLinear|Softmax|LayerNormalization) /.test(n))).toEqual([]);
        }
      });
    }
  }

  it('the webgpu target (weights only): every node on the WebGPU EP, equal to the simulation, timed against the FP file', async () => {
    const weightsOnly = simulatedFixture(model, pixels, dims, null);
    const { bytes } = exportOnnx(model, { layers: weightsOnly.q.codes, activations: weightsOnly.q.activations, method: 'rtn', settings: FP32 }, { target: 'webgpu' });
    const fp = new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer());
    const v = await verifyExport(await ortWeb('webgpu'), 'onnxruntime-web webgpu', 'webgpu', bytes, {
      batches: [{ pixels, count: BATCH }], dims: [3, 32, 32], simulated: weightsOnly.rows,
    }, { fp });
    expect(v.error).toBeNull();
    expect(v.maxAbsDeltaLogit!).toBeLessThan(1e-4);
    expect(v.placement).toEqual([expect.stringMatching(/^WebGpuExecutionProvider: \d+ nodes$/)]);
    expect(v.fellBack).toEqual([]);
    // The FP file as torch wrote it keeps its batch-dependent shape plumbing on the CPU; the export has none.
    expect(v.fpFellBack!.map((n) => n.split(' ')[0])).toContain('Concat');
    expect(v.fpError).toBeNull();
    expect(v.fpMsPerImage!).toBeGreaterThan(0);
    expect(speedRatio(v)).toBeCloseTo(v.msPerImage! / v.fpMsPerImage!, 12);
  });

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
