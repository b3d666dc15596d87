/**
 * Export benchmark on the face detector in ../shared/data: quantize at an average of 4 bits
 * (64 calibration faces, few rounding iterations), export, and run the file in every runtime side
 * by side against the studio's own simulation: the file size vs FP32, max |Δlogit|, prediction
 * agreement, AUC (vs the simulation's), ms/image. Node runs onnxruntime-node (CPU EP),
 * onnxruntime-web's wasm build and the studio engine (Dawn); headless Chromium runs onnxruntime-web
 * wasm and the native WebGPU EP (bench/export.html).
 * Run: npm run bench:export [-- --eval-images 200 --calib-images 64 --iters 40 --webgpu-images 24]
 * The native WebGPU EP is slow on a software adapter, so it verifies on the first --webgpu-images.
 * --keep DIR keeps the exported files, images and simulated logits; --from DIR verifies those again
 * without quantizing.
 * Skips politely when ../shared/data is not there.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../chromium.ts';
import { BATCH, evenly, faceBatches, loadFaces } from './faces.ts';
import { nodeGpu } from '../cli/node-gpu.ts';
import { rocAucFromLogits } from '../src/data/metrics.ts';
import { GpuModel } from '../src/engine/session.ts';
import { exportOnnx } from '../src/export/export.ts';
import { sizeBreakdown } from '../src/export/size.ts';
import { exportSourceOf, sha256Hex } from '../src/export/source.ts';
import { verifyExport, type OrtModule, type Verification } from '../src/export/verify.ts';
import { createGpuContext } from '../src/gpu/device.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import type { Model } from '../src/onnx/ir.ts';
import { agreement } from '../src/quant/evaluation/evaluate.ts';
import { quantGpuOps, quantReferenceOps } from '../src/quant/simulation/fake-quant-op.ts';
import { quantizeModel } from '../src/quant/pipeline/quantize.ts';
import { DEFAULT_SETTINGS } from '../src/quant/settings.ts';
import { reconstructor } from '../src/quant/reconstruction/reconstructor.ts';

const { values } = parseArgs({ options: {
  'eval-images': { type: 'string' }, 'calib-images': { type: 'string' }, iters: { type: 'string' }, data: { type: 'string' },
  'webgpu-images': { type: 'string' }, keep: { type: 'string' }, from: { type: 'string' },
} });
const DATA = values.data ?? join(import.meta.dirname, '../../shared/data');
const MODEL = join(DATA, 'models/vit_faces.onnx');
if (!existsSync(MODEL) || !existsSync(join(DATA, 'faces'))) {
  console.log(`bench:export skipped: ${DATA} (models/vit_faces.onnx and faces/) is not here.`);
  process.exit(0);
}
const calibCount = Number(values['calib-images'] ?? 64);
const evalCount = Number(values['eval-images'] ?? 200);
const iters = Number(values.iters ?? 40);
const webgpuImages = Number(values['webgpu-images'] ?? 24);
const OUT = join(import.meta.dirname, '../.bench-export');

const fileBytes = new Uint8Array(readFileSync(MODEL));
const model = decodeModel(fileBytes, { fileName: 'vit_faces.onnx' });
const { faces, pre } = await loadFaces(DATA);
const calibFaces = evenly(faces, calibCount);
const calibNames = new Set(calibFaces.map((f) => f.file.name));
const evalFaces = evenly(faces.filter((f) => !calibNames.has(f.file.name)), evalCount);

const ctx = await createGpuContext(await nodeGpu());
// The quantization's budget prices the default format ('auto'); the other two store the same codes their own way.
const formats = ['auto', 'qdq', 'nbits'] as const;

interface Saved { formats: string[]; dims: [number, number, number]; count: number; simulated: number[][]; isFake: boolean[]; simAuc: number }
let saved: Saved;
let pixels: Float32Array;
const files = new Map<string, Uint8Array>();
if (values.from) {
  saved = JSON.parse(readFileSync(join(values.from, 'meta.json'), 'utf8')) as Saved;
  pixels = new Float32Array(new Uint8Array(readFileSync(join(values.from, 'pixels.f32'))).buffer);
  for (const f of formats) files.set(f, new Uint8Array(readFileSync(join(values.from, `model_${f}.onnx`))));
  saved.simAuc ??= rocAucFromLogits(saved.simulated, saved.isFake);
  console.log(`vit_faces.onnx (${fileBytes.length} bytes): verifying the exports kept in ${values.from} on ${saved.count} faces`);
} else {
  const calibration = await faceBatches(calibFaces, pre);
  const evaluation = await faceBatches(evalFaces, pre);
  const isFake = evaluation.flatMap((b) => b.isFake);
  console.log(`vit_faces.onnx (${fileBytes.length} bytes) on ${ctx.summary.vendor} ${ctx.summary.architecture}: quantize at 4 bits on ${calibFaces.length} faces (${iters} iterations), verify on ${evalFaces.length}`);
  const t0 = performance.now();
  const result = await quantizeModel(ctx, model, { calibration: calibration.map(({ pixels: p, count }) => ({ pixels: p, count })) }, { ...DEFAULT_SETTINGS, avgBits: 4, iters, storage: 'export', exportFormat: 'auto' }, { reconstruct: reconstructor(ctx) });
  console.log(`quantized in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${result.report.avgBits.toFixed(3)} stored bits per weight; widths ${[...new Set(result.report.layers.map((l) => l.bits))].sort().join(', ')}`);
  pixels = new Float32Array(evaluation.reduce((n, b) => n + b.pixels.length, 0));
  let at = 0;
  for (const b of evaluation) {
    pixels.set(b.pixels, at);
    at += b.pixels.length;
  }
  const simulated = await logitsOf(result.simulated, { reference: quantReferenceOps, gpu: quantGpuOps });
  const fp = await logitsOf(model);
  saved = { formats: [...formats], dims: [3, pre.size[0], pre.size[1]], count: isFake.length, simulated: simulated.rows, isFake, simAuc: rocAucFromLogits(simulated.rows, isFake) };
  console.log(`FP32 AUC ${rocAucFromLogits(fp.rows, isFake).toFixed(4)}; simulated quantized AUC ${saved.simAuc.toFixed(4)}`);
  const source = exportSourceOf(model, result, { fileName: 'vit_faces.onnx', sha256: await sha256Hex(fileBytes), bytes: fileBytes.length });
  for (const f of formats) files.set(f, exportOnnx(model, source, { target: 'wasm', format: f }).bytes);
}
const { simulated: simRows, isFake, simAuc } = saved;
const images = { batches: [{ pixels, count: saved.count }], dims: saved.dims, simulated: simRows, isFake };

async function logitsOf(m: Model, extensions?: ConstructorParameters<typeof GpuModel>[2]): Promise<{ rows: number[][]; ms: number }> {
  const g = new GpuModel(ctx, m, extensions);
  const input = m.graph.inputs[0].name;
  const output = m.graph.outputs[0].name;
  const rows: number[][] = [];
  const start = performance.now();
  const count = pixels.length / perImageOf(m);
  try {
    for (let s = 0; s < count; s += BATCH) {
      const n = Math.min(BATCH, count - s);
      const data = (await g.run({ [input]: pixels.subarray(s * perImageOf(m), (s + n) * perImageOf(m)) }, n)).outputs[output].data;
      for (let i = 0; i < n; i++) rows.push(Array.from(data.subarray(i * 2, i * 2 + 2)));
    }
  } finally {
    g.dispose();
  }
  return { rows, ms: (performance.now() - start) / rows.length };
}

function perImageOf(m: Model): number {
  return (m.graph.inputs[0].shape ?? []).slice(1).reduce((a: number, b) => a * (typeof b === 'number' ? b : 1), 1);
}

const rows: string[][] = [['format', 'runtime', 'bytes', 'of FP32', 'max|Δlogit|', 'agree', 'AUC', 'sim AUC', 'ms/image', 'images', 'off-EP nodes']];
const row = (format: string, bytes: number, v: Verification) => rows.push([
  format, v.runtime, String(bytes), `${((100 * bytes) / fileBytes.length).toFixed(1)}%`,
  v.ok ? v.maxAbsDeltaLogit!.toExponential(2) : `failed: ${v.error?.slice(0, 50)}`, v.ok ? v.agreement!.toFixed(3) : '', v.ok && v.auc !== null ? v.auc.toFixed(4) : '', (v.simulatedAuc ?? simAuc).toFixed(4),
  v.ok ? v.msPerImage!.toFixed(1) : '', String(v.images), v.runtime.includes('webgpu') ? (v.placement.length ? `${v.fellBack.length} on CPU (${[...new Set(v.fellBack.map((n) => n.split(' ')[0]))].join(' ')})` : 'not reported') : '-',
]);

const ortWebNode = (await import('onnxruntime-web')) as unknown as OrtModule & { env: { wasm: { numThreads: number } } };
ortWebNode.env.wasm.numThreads = 1;
let ortNode: OrtModule | null = null;
try {
  ortNode = (await import('onnxruntime-node')) as unknown as OrtModule;
} catch (e) {
  console.log(`onnxruntime-node is not usable here (${(e as Error).message.split('\n')[0]}); its rows are left out`);
}

const dir = values.keep ?? OUT;
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const format of formats) {
  const bytes = files.get(format)!;
  writeFileSync(join(dir, `model_${format}.onnx`), bytes);
  const engine = await logitsOf(decodeModel(bytes));
  let worst = 0;
  engine.rows.forEach((r, i) => r.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - simRows[i][j])))));
  row(format, bytes.length, { runtime: 'studio engine (Dawn, = cli eval)', ok: true, error: null, images: engine.rows.length, maxAbsDeltaLogit: worst, agreement: agreement(engine.rows, simRows), auc: rocAucFromLogits(engine.rows, isFake), simulatedAuc: simAuc, msPerImage: engine.ms, fellBack: [], placement: [] });
  if (ortNode) row(format, bytes.length, await verifyExport(ortNode, 'onnxruntime-node cpu', 'cpu', bytes, images));
  row(format, bytes.length, await verifyExport(ortWebNode, 'onnxruntime-web wasm (node)', 'wasm', bytes, images));
}

// The browser half: the same files and images, in headless Chromium (Vite serves them from the work tree).
writeFileSync(join(OUT, 'pixels.f32'), new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
writeFileSync(join(OUT, 'meta.json'), JSON.stringify({ ...saved, webgpuImages }));
if (dir !== OUT) {
  writeFileSync(join(dir, 'pixels.f32'), new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(saved));
  for (const f of formats) writeFileSync(join(OUT, `model_${f}.onnx`), files.get(f)!);
}
const server = await createServer({ server: { port: 0, host: '127.0.0.1' }, logLevel: 'error', clearScreen: false });
await server.listen();
const address = server.httpServer?.address();
const port = typeof address === 'object' && address ? address.port : 0;
const browser = await chromium.launch(chromiumLaunchOptions);
try {
  const page = await browser.newPage();
  const done = new Promise<{ format: string; bytes: number; v: Verification }[]>((resolve, reject) => {
    page.on('console', (msg) => {
      const text = msg.text();
      if (text.startsWith('bench:result ')) resolve(JSON.parse(text.slice('bench:result '.length)));
      else if (text.startsWith('bench:failed')) reject(new Error(text));
    });
    page.on('pageerror', (e) => reject(e));
  });
  await page.goto(`http://localhost:${port}/bench/export.html`);
  for (const r of await done) row(r.format, r.bytes, r.v);
} finally {
  await browser.close();
  await server.close();
  if (values.keep === undefined || resolve(values.keep) !== resolve(OUT)) rmSync(OUT, { recursive: true, force: true });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB (${((100 * n) / fileBytes.length).toFixed(1)}%)`;
console.log('\nsize vs the FP32 file (target: at most 15%, aim 12.5%):');
for (const format of formats) {
  const bytes = files.get(format)!;
  const s = sizeBreakdown(decodeModel(bytes), bytes.length);
  const ratio = bytes.length / fileBytes.length;
  console.log(`  ${format.padEnd(5)} ${kb(s.total)}: codes ${kb(s.codes)}, scales+zero points ${kb(s.scales)}, other floats ${kb(s.floats)}, graph+metadata ${kb(s.graph)}; ${ratio <= 0.125 ? 'meets the 12.5% aim' : ratio <= 0.15 ? 'meets the 15% target' : 'MISSES the 15% target'}`);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
console.log('');
for (const r of rows) console.log(r.map((v, i) => (i < 2 || i === 10 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  '));
process.exit(0);
