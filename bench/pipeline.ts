/**
 * The studio engine against onnxruntime-web's WebGPU EP on one adapter (one GPUDevice), and where
 * the engine's time goes: each kernel family's achieved GFLOP/s as a fraction of the engine's best
 * matmul rate on that adapter; with --stages, the quantization pipeline's stages likewise.
 * Run: npm run bench:pipeline [-- --model PATH] [--runs 3] [--stages all] [--method rtn]
 *      [--calib-images 8] [--iters 20] [--act-bits 8|none]
 * The model defaults to ../shared/data/models/vit_faces.onnx when it is there, else the fixture
 * tools/fixtures/vit_tiny_op17.onnx. For a ViT-B/16 at 224 px:
 *   /usr/bin/python3 tools/make_large_models.py vit_base --out DIR   then   --model DIR/model.onnx
 * Inputs are synthetic images (the work does not depend on their content).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBenchPage } from './page-runner.ts';

const { values } = parseArgs({ options: {
  model: { type: 'string' }, runs: { type: 'string' }, stages: { type: 'string' }, method: { type: 'string' },
  'calib-images': { type: 'string' }, iters: { type: 'string' }, 'act-bits': { type: 'string' },
} });
const faces = join(import.meta.dirname, '../../shared/data/models/vit_faces.onnx');
const model = resolve(values.model ?? (existsSync(faces) ? faces : join(import.meta.dirname, '../tools/fixtures/vit_tiny_op17.onnx')));
if (!existsSync(model)) {
  console.error(`bench:pipeline: no model at ${model}`);
  process.exit(1);
}
const query = new URLSearchParams({
  name: model.split('/').slice(-2).join('/'),
  runs: values.runs ?? '3',
  stages: values.stages ?? '',
  method: values.method ?? 'rtn',
  calibImages: values['calib-images'] ?? '8',
  iters: values.iters ?? '20',
  actBits: values['act-bits'] ?? '8',
});
// Large models take a while on a software adapter: an hour before giving up.
process.exit(await runBenchPage('pipeline', query.toString(), { '/bench-model.onnx': model }, Number(process.env.BENCH_TIMEOUT_MS ?? 3_600_000)));
