/** A known report for the report's tests (unit and e2e): three layers, an evaluation, a sweep and an export. */
import type { QuantizeReport } from '../quant/report.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import type { ReportInput } from './input.ts';

export function knownQuantizeReport(): QuantizeReport {
  return {
    settings: { ...DEFAULT_SETTINGS, avgBits: 3.5, iters: 100 },
    avgBits: 3.47,
    modelBytes: 12_345,
    fpBytes: 98_765,
    layers: [
      { name: 'patch_embed.proj', op: 'Conv', bits: 8, params: 1536, score: 0.0123, sqnr: 38.2, reconstructed: true, range: 'minmax', roundedUp: 10, roundedDown: 12, reconstructionLoss: { nearest: 2e-3, learned: 1e-3 } },
      { name: 'blocks.0.attn.qkv', op: 'MatMul', bits: 2, params: 3072, score: 0.00456, sqnr: 9.87, reconstructed: true, range: 'mse', roundedUp: 5, roundedDown: 7 },
      { name: 'head<script>alert(1)</script>', op: 'Gemm', bits: 4, params: 66, score: 0.0789, sqnr: null, reconstructed: false, range: 'minmax', roundedUp: null, roundedDown: null },
    ],
    allocation: { objective: 1.5, averageBits: 3.47, solver: 'exact', error: 'logits', detail: 'optimal over 3 layers' },
    timings: { calibrate: 1234, score: 56, allocate: 7, reconstruct: 8900, evaluate: 321 },
    completed: ['calibrate', 'score', 'allocate', 'reconstruct', 'evaluate'],
    cancelled: false,
    evaluation: {
      fp: { n: 32, accuracy: 0.9375, auc: 0.9727 },
      quantized: { n: 32, accuracy: 0.90625, auc: 0.9609 },
      agreement: 0.96875,
      aucChange: { difference: -0.0118, standardError: 0.0081 },
      fakeIndex: 1,
    },
    reparameterized: [],
  };
}

export function knownReportInput(): ReportInput {
  return {
    title: 'DeFakeQ report: demo_vit.onnx',
    created: '2025-01-02T03:04:05.000Z',
    quantization: knownQuantizeReport(),
    modelFiles: [{ name: 'demo_vit.onnx', bytes: 98_765, sha256: 'ab'.repeat(32) }],
    export: {
      file: { name: 'demo_vit_3.5bit_wasm.onnx', bytes: 23_456, sha256: 'cd'.repeat(32) },
      target: 'wasm', weightFormat: 'auto', activations: 'QuantizeLinear/DequantizeLinear uint8 per tensor', fpBytes: 98_765,
      verification: [{ runtime: 'onnxruntime-web wasm', ok: true, error: null, images: 32, maxAbsDeltaLogit: 1.5e-6, agreement: 1, auc: 0.9609, simulatedAuc: 0.9609, msPerImage: 0.42, fellBack: [], placement: [], fpMsPerImage: 0.4, fpFellBack: null, fpError: null }],
    },
    sweep: {
      fp: { auc: 0.9727, accuracy: 0.9375, bytes: 98_765, images: 32 },
      points: [
        { method: 'rtn', budget: 4, result: { avgBits: 4, modelBytes: 14_000, auc: 0.95, accuracy: 0.875, agreement: 0.9, aucChange: null, versusAdaRound: { difference: -0.01, standardError: 0.004 } } },
        { method: 'adaround', budget: 4, result: { avgBits: 4, modelBytes: 14_000, auc: 0.96, accuracy: 0.9, agreement: 0.95, aucChange: null, versusAdaRound: null } },
        { method: 'defakeq', budget: 4, result: { avgBits: 3.9, modelBytes: 13_900, auc: 0.965, accuracy: 0.906, agreement: 0.96, aucChange: null, versusAdaRound: { difference: 0.005, standardError: 0.003 } } },
        { method: 'rtn', budget: 2, result: null, message: 'no width fits 2 bits' },
      ],
      cancelled: false,
    },
    environment: {
      runtime: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0',
      adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)', isFallbackAdapter: true, features: ['timestamp-query', 'subgroups'], limits: {} },
      versions: { 'DeFakeQ Studio': '0.1.0', 'onnxruntime-web': '1.30.0' },
    },
    writtenBy: 'DeFakeQ Studio 0.1.0 in the browser',
  };
}
