/**
 * An export with float16 float parameters (floatParams 'fp16') runs in onnxruntime-web, on the
 * wasm build and the native WebGPU EP, and in the studio's own WebGPU engine, computing what the
 * studio simulated on the float16-rounded model.
 */
import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../gpu/testing.ts';
import { decodeModel } from '../onnx/decode.ts';
import { halfFloatModel } from '../quant/simulation/half-floats.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { engineAgainstSimulation } from './engine-check.ts';
import { exportOnnx } from './export.ts';
import { ortWeb, WEB_RUNTIMES } from './ort-web.ts';
import { simulatedFixture } from './testing.ts';
import { verifyExport } from './verify.ts';

const original = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const model = halfFloatModel(original).model;
const BATCH = 3;
const dims = [BATCH, 3, 32, 32];
const pixels = Float32Array.from({ length: BATCH * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.41) * 1.5);
const { q, simulated, reference, rows } = simulatedFixture(model, pixels, dims);
const source = { layers: q.codes, activations: q.activations, method: 'rtn', settings: { ...DEFAULT_SETTINGS, floatParams: 'fp16' as const } };

describe('float16 float parameters in onnxruntime-web and the studio engine', () => {
  for (const format of ['qdq', 'nbits'] as const) {
    for (const { ep, runtime } of WEB_RUNTIMES) {
      it(`${format} weights on ${runtime}: logits within 1e-4 of the simulation, every prediction agreeing`, async () => {
        const exported = exportOnnx(original, source, { target: 'wasm', format });
        expect(exported.halved).toContain('pos_embed');
        const v = await verifyExport(await ortWeb(ep), runtime, ep, exported.bytes, {
          batches: [{ pixels, count: BATCH }], dims: [3, 32, 32], simulated: rows, isFake: [true, false, true],
        });
        expect(v.error).toBeNull();
        expect(v.ok).toBe(true);
        expect(v.images).toBe(BATCH);
        expect(v.maxAbsDeltaLogit!).toBeLessThan(1e-4);
        expect(v.agreement).toBe(1);
        if (ep === 'webgpu') expect(v.fellBack.filter((n) => /^(MatMul|MatMulNBits|Conv|Gemm|DequantizeLinear|Softmax|LayerNormalization|Add) /.test(n))).toEqual([]);
      });
    }
  }

  it('the studio engine runs the file on WebGPU like the simulated model', async () => {
    const ctx = await gpuForTests();
    const { bytes } = exportOnnx(original, source, { target: 'wasm', format: 'qdq' });
    const { worst, planned } = await engineAgainstSimulation(ctx, bytes, simulated, reference, pixels, BATCH);
    expect(worst).toBeLessThan(1e-4);
    expect(decodeModel(bytes).graph.nodes.some((n) => n.opType === 'Cast')).toBe(true);
    expect(planned.some((n) => n.opType === 'Cast')).toBe(false); // folded into float32 constants
  });
});
