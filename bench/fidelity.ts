/**
 * Fidelity benchmark: the face detector in ../shared/data, calibrated on 256 faces and evaluated on
 * the others, at several budgets, for FP, round-to-nearest, uniform AdaRound and DeFakeQ.
 * Run: npm run bench:fidelity [-- --eval-images N --calib-images N --iters N --budgets 3,4,6]
 * Skips politely when ../shared/data is not there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImageNode } from '../src/data/decode-node.ts';
import { filesFromDirectory } from '../src/data/fs-node.ts';
import { labelledSet } from '../src/data/dataset.ts';
import { preprocess, preprocessorFromConfig } from '../src/data/preprocess.ts';
import { GpuModel } from '../src/engine/session.ts';
import { createGpuContext } from '../src/gpu/device.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { score, type LabelledBatch } from '../src/quant/evaluate.ts';
import { quantGpuOps, quantReferenceOps } from '../src/quant/fake-quant-op.ts';
import { DEFAULT_SETTINGS, quantizeModel, type QuantizeSettings } from '../src/quant/pipeline.ts';
import { reconstructor } from '../src/quant/reconstruct.ts';
import { nodeGpu } from '../cli/node-gpu.ts';

const { values } = parseArgs({
  options: {
    'eval-images': { type: 'string' },
    'calib-images': { type: 'string' },
    iters: { type: 'string' },
    budgets: { type: 'string' },
    data: { type: 'string' },
  },
});
const DATA = values.data ?? join(import.meta.dirname, '../../shared/data');
const MODEL = join(DATA, 'models/vit_faces.onnx');
if (!existsSync(MODEL) || !existsSync(join(DATA, 'faces'))) {
  console.log(`bench:fidelity skipped: ${DATA} (models/vit_faces.onnx and faces/) is not here.`);
  process.exit(0);
}

const calibCount = Number(values['calib-images'] ?? 256);
const evalLimit = values['eval-images'] ? Number(values['eval-images']) : Infinity;
const iters = Number(values.iters ?? DEFAULT_SETTINGS.iters);
const budgets = (values.budgets ?? '3,4,6').split(',').map(Number);
const BATCH = 16;

const model = decodeModel(new Uint8Array(readFileSync(MODEL)), { fileName: 'vit_faces.onnx' });
const pre = preprocessorFromConfig(JSON.parse(readFileSync(join(DATA, 'models/preprocessor_config.json'), 'utf8')));
const faces = labelledSet(await filesFromDirectory(join(DATA, 'faces'), { recursive: true }), 'faces').images;
// A fixed, class-balanced split: every k-th face calibrates, the rest evaluate.
const stride = faces.length / calibCount;
const calibSet = new Set(Array.from({ length: calibCount }, (_, i) => Math.floor(i * stride)));
const calibFaces = faces.filter((_, i) => calibSet.has(i));
const heldOut = faces.filter((_, i) => !calibSet.has(i));
const evalPicked = Number.isFinite(evalLimit) ? evenly(heldOut, evalLimit) : heldOut;

function evenly<T>(items: T[], n: number): T[] {
  const step = items.length / Math.min(n, items.length);
  return Array.from({ length: Math.min(n, items.length) }, (_, i) => items[Math.floor(i * step)]!);
}

async function batchesOf(items: typeof faces): Promise<LabelledBatch[]> {
  const out: LabelledBatch[] = [];
  for (let s = 0; s < items.length; s += BATCH) {
    const chunk = items.slice(s, s + BATCH);
    const decoded = await Promise.all(chunk.map(async (f) => decodeImageNode(await f.file.read(), f.file.name)));
    out.push({ pixels: preprocess(decoded, pre), count: chunk.length, isFake: chunk.map((f) => f.isFake) });
  }
  return out;
}

const ctx = await createGpuContext(await nodeGpu());
const calibration = await batchesOf(calibFaces);
const evaluation = await batchesOf(evalPicked);
console.log(`vit_faces.onnx on ${ctx.summary.vendor} ${ctx.summary.architecture}: calibrate on ${calibFaces.length} faces, evaluate on ${evalPicked.length}`);

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };
const fpModel = new GpuModel(ctx, model, OPS);
let t0 = performance.now();
const fp = await score(fpModel, evaluation);
const fpMs = performance.now() - t0;
fpModel.dispose();
const fpBytes = readFileSync(MODEL).byteLength;

const rows: string[][] = [['setting', 'method', 'AUC', 'AUC/FP', 'accuracy', 'bytes', 'bytes/FP', 'wall s']];
rows.push(['FP32', 'FP', fp.auc.toFixed(4), '1.000', fp.accuracy.toFixed(4), String(fpBytes), '1.000', (fpMs / 1000).toFixed(1)]);

const configs: { label: string; avgBits: number; actBits: number }[] = [
  ...budgets.map((b) => ({ label: `W${b}A8`, avgBits: b, actBits: 8 })),
  { label: 'W4A4', avgBits: 4, actBits: 4 },
];
const methods: { name: string; over: Partial<QuantizeSettings> }[] = [
  { name: 'RTN (min/max)', over: { method: 'rtn', actRange: 'minmax' } },
  { name: 'RTN (MSE ranges)', over: { method: 'rtn', actRange: 'mse', weightRange: 'mse' } },
  { name: 'AdaRound (uniform)', over: { method: 'adaround' } },
  { name: 'DeFakeQ (paper)', over: { method: 'defakeq', solver: 'relaxed', error: 'paper' } },
  { name: 'DeFakeQ (exact, measured)', over: { method: 'defakeq', solver: 'exact', error: 'measured' } },
];
const reconstruct = reconstructor(ctx);
for (const c of configs) {
  for (const m of methods) {
    const settings: QuantizeSettings = { ...DEFAULT_SETTINGS, avgBits: c.avgBits, actBits: c.actBits, iters, ...m.over };
    t0 = performance.now();
    try {
      const { report } = await quantizeModel(ctx, model, { calibration: calibration.map(({ pixels, count }) => ({ pixels, count })), evaluation }, settings, { reconstruct });
      const q = report.evaluation!.quantized;
      rows.push([c.label, m.name, q.auc.toFixed(4), (q.auc / fp.auc).toFixed(3), q.accuracy.toFixed(4), String(Math.round(report.modelBytes)),
        (report.modelBytes / report.fpBytes).toFixed(3), ((performance.now() - t0) / 1000).toFixed(1)]);
    } catch (e) {
      rows.push([c.label, m.name, 'failed', '', '', '', '', (e as Error).message.slice(0, 60)]);
    }
    console.log(rows[rows.length - 1].join('  '));
  }
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
console.log('');
for (const r of rows) console.log(r.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  '));
process.exit(0);
