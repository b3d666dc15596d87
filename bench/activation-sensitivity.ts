/**
 * Which quantized activation costs the detector's AUC: weights at 8 bits (per channel, nearest
 * rounding), and the activations at `--act-bits` (default 4) one tensor at a time ("only"), and
 * all of them but one ("all but"). Every row is exported and scored in onnxruntime-node on the
 * held-out faces. docs/veft.md reads the face detector's table: its W4A4 loss is not where VEFT's
 * restored channels reach.
 *
 * Run: npm run bench:activations [-- --act-bits 4 --calib-images 256 --eval-images N --data DIR]
 * Skips politely when ../shared/data is not there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { calibrationSplit, evenly, faceBatches, loadFaces } from './faces.ts';
import { ORT_EVALUATION, ortScores } from './ort-eval.ts';
import { nodeGpu } from '../cli/node-gpu.ts';
import { exportOnnx } from '../src/export/export.ts';
import { exportSourceOf } from '../src/export/source.ts';
import { createGpuContext } from '../src/gpu/device.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { quantizeModel } from '../src/quant/pipeline/quantize.ts';
import { DEFAULT_SETTINGS } from '../src/quant/settings.ts';
import type { QuantParams } from '../src/quant/simulation/quantizer.ts';

const { values } = parseArgs({ options: { 'act-bits': { type: 'string' }, 'calib-images': { type: 'string' }, 'eval-images': { type: 'string' }, data: { type: 'string' } } });
const DATA = values.data ?? join(import.meta.dirname, '../../shared/data');
const MODEL = join(DATA, 'models/vit_faces.onnx');
if (!existsSync(MODEL) || !existsSync(join(DATA, 'faces'))) {
  console.log(`bench:activations skipped: ${DATA} (models/vit_faces.onnx and faces/) is not here.`);
  process.exit(0);
}
const actBits = Number(values['act-bits'] ?? 4);
if (!Number.isInteger(actBits) || actBits < 2 || actBits > 8) throw new Error(`--act-bits takes 2..8, got "${values['act-bits']}"`);
const calibCount = Number(values['calib-images'] ?? 256);

const bytes = new Uint8Array(readFileSync(MODEL));
const model = decodeModel(bytes, { fileName: 'vit_faces.onnx' });
const { faces, pre } = await loadFaces(DATA);
// The split bench:fidelity uses.
const { calibration: calibFaces, heldOut } = calibrationSplit(faces, calibCount);
const evalFaces = values['eval-images'] ? evenly(heldOut, Number(values['eval-images'])) : heldOut;
const ctx = await createGpuContext(await nodeGpu());
const calibration = (await faceBatches(calibFaces, pre)).map(({ pixels, count }) => ({ pixels, count }));
const evaluation = await faceBatches(evalFaces, pre);
const dims = [3, ...pre.size];
console.log(`vit_faces.onnx: weights W8 (nearest), activations A${actBits} per tensor; calibrated on ${calibFaces.length} faces, scored on ${evalFaces.length} in ${ORT_EVALUATION}`);

const fp = await ortScores(bytes, evaluation, dims, 1);
const result = await quantizeModel(ctx, model, { calibration, fakeIndex: 1, cache: {} }, { ...DEFAULT_SETTINGS, method: 'rtn', candidates: [8], avgBits: 12, actBits });
const every = result.plan.activations!;
const aucWith = async (activations: Map<string, QuantParams>) => {
  const planned = { ...result, plan: { ...result.plan, activations } };
  const file = exportOnnx(result.model, exportSourceOf(result.model, planned, { fileName: 'vit_faces.onnx', sha256: '', bytes: bytes.length }), { target: 'wasm', format: 'qdq' });
  return (await ortScores(file.bytes, evaluation, dims, 1)).auc;
};
const all = await aucWith(every);
const none = await aucWith(new Map());
console.log(`FP32 ${fp.auc.toFixed(4)}; W8 with float activations ${none.toFixed(4)}; W8A${actBits} everywhere ${all.toFixed(4)}\n`);
console.log(`activation  AUC (only it at A${actBits})  lost  AUC (all but it)  regained`);
for (const [tensor, params] of every) {
  const only = await aucWith(new Map([[tensor, params]]));
  const allBut = await aucWith(new Map([...every].filter(([t]) => t !== tensor)));
  console.log(`${tensor}  ${only.toFixed(4)}  ${(none - only).toFixed(4)}  ${allBut.toFixed(4)}  ${(allBut - all).toFixed(4)}`);
}
