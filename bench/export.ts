/**
 * Export benchmark on the face detector in ../shared/data: quantize at an average of 4 bits
 * (64 calibration faces, few rounding iterations) once with 8-bit activations (the wasm target)
 * and once weights only (the webgpu and any targets), export each target's files, and run them in
 * every runtime side by side against the studio's own simulation of the same run: the file size
 * vs FP32, max |Δlogit|, prediction agreement, AUC (vs the simulation's), ms/image against the FP
 * file on the same runtime (run alternately, the ratio), and the nodes placed off the WebGPU EP.
 * Node runs onnxruntime-node (CPU EP), onnxruntime-web's wasm build and the studio engine (Dawn);
 * headless Chromium runs onnxruntime-web wasm and the native WebGPU EP (bench/export.html).
 * Run: npm run bench:export [-- --eval-images 200 --calib-images 64 --iters 40 --webgpu-images 12 --targets wasm,webgpu,any
 *      --method defakeq|adaround|rtn]
 * The native WebGPU EP is slow on a software adapter, so it verifies on the first --webgpu-images.
 * --keep DIR keeps the exported files, images and simulated logits; --from DIR verifies those again
 * without quantizing. Skips politely when ../shared/data is not there.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evenly, faceBatches, loadFaces } from './faces.ts';
import { formatRows, verdict, type BenchFile, type BenchRow } from './export-table.ts';
import { runInChromium } from './export-browser.ts';
import { nodeGpu } from '../cli/node-gpu.ts';
import { rocAucFromLogits } from '../src/data/metrics.ts';
import { engineLogits } from './engine-logits.ts';
import { exportOnnx } from '../src/export/export.ts';
import { sizeBreakdown } from '../src/export/size.ts';
import { exportSourceOf, sha256Hex } from '../src/export/source.ts';
import { TARGET_RULES, TARGETS, type ExportTarget } from '../src/export/targets.ts';
import { verifyExport, type OrtModule } from '../src/export/verify.ts';
import { createGpuContext } from '../src/gpu/device.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { agreement } from '../src/quant/evaluation/evaluate.ts';
import { quantGpuOps, quantReferenceOps } from '../src/quant/simulation/fake-quant-op.ts';
import { quantizeModel } from '../src/quant/pipeline/quantize.ts';
import { DEFAULT_SETTINGS } from '../src/quant/settings.ts';
import { reconstructor } from '../src/quant/reconstruction/reconstructor.ts';

const { values } = parseArgs({ options: {
  'eval-images': { type: 'string' }, 'calib-images': { type: 'string' }, iters: { type: 'string' }, data: { type: 'string' },
  'webgpu-images': { type: 'string' }, keep: { type: 'string' }, from: { type: 'string' }, targets: { type: 'string' }, method: { type: 'string' },
} });
const DATA = values.data ?? join(import.meta.dirname, '../../shared/data');
const MODEL = join(DATA, 'models/vit_faces.onnx');
if (!existsSync(MODEL) || !existsSync(join(DATA, 'faces'))) {
  console.log(`bench:export skipped: ${DATA} (models/vit_faces.onnx and faces/) is not here.`);
  process.exit(0);
}
const targets = (values.targets ?? TARGETS.join(',')).split(',') as ExportTarget[];
const unknown = targets.filter((t) => !TARGETS.includes(t));
if (unknown.length) {
  console.log(`bench:export: --targets takes ${TARGETS.join(', ')}; got ${unknown.join(', ')}`);
  process.exit(1);
}
const calibCount = Number(values['calib-images'] ?? 64);
const evalCount = Number(values['eval-images'] ?? 200);
const iters = Number(values.iters ?? 40);
const webgpuImages = Number(values['webgpu-images'] ?? 12);
const method = (values.method ?? DEFAULT_SETTINGS.method) as typeof DEFAULT_SETTINGS.method;
if (!['defakeq', 'adaround', 'rtn'].includes(method)) {
  console.log(`bench:export: --method takes defakeq, adaround or rtn; got ${method}`);
  process.exit(1);
}
// The uniform methods (rtn, adaround) take 4 bits at their true width: priced as the file, 2-bit codes in uint4 already cost more.
const OUT = join(import.meta.dirname, '../.bench-export', String(process.pid));

/** Each target's files: its default format first, then the other formats worth comparing. */
const FILES: Record<ExportTarget, BenchFile['format'][]> = { wasm: ['auto', 'qdq', 'nbits'], webgpu: ['qdq', 'nbits'], any: ['qdq'] };

const fileBytes = new Uint8Array(readFileSync(MODEL));
const model = decodeModel(fileBytes, { fileName: 'vit_faces.onnx' });
const ctx = await createGpuContext(await nodeGpu());

interface Saved { files: BenchFile[]; dims: [number, number, number]; count: number; simulated: Record<string, number[][]>; isFake: boolean[]; fpEngineMs: number }
let saved: Saved;
let pixels: Float32Array;
const files = new Map<string, Uint8Array>();
if (values.from) {
  saved = JSON.parse(readFileSync(join(values.from, 'meta.json'), 'utf8')) as Saved;
  pixels = new Float32Array(new Uint8Array(readFileSync(join(values.from, 'pixels.f32'))).buffer);
  for (const f of saved.files) files.set(f.key, new Uint8Array(readFileSync(join(values.from, `${f.key}.onnx`))));
  console.log(`vit_faces.onnx (${fileBytes.length} bytes): verifying the exports kept in ${values.from} on ${saved.count} faces`);
} else {
  ({ saved, pixels } = await quantizeAndExport());
}
const images = (sim: string) => ({ batches: [{ pixels, count: saved.count }], dims: saved.dims, simulated: saved.simulated[sim], isFake: saved.isFake });

/** Quantizes once per activation mode the targets need and writes every target's files into `files`. */
async function quantizeAndExport(): Promise<{ saved: Saved; pixels: Float32Array }> {
  const { faces, pre } = await loadFaces(DATA);
  const calibFaces = evenly(faces, calibCount);
  const calibNames = new Set(calibFaces.map((f) => f.file.name));
  const evalFaces = evenly(faces.filter((f) => !calibNames.has(f.file.name)), evalCount);
  const calibration = await faceBatches(calibFaces, pre);
  const evaluation = await faceBatches(evalFaces, pre);
  const isFake = evaluation.flatMap((b) => b.isFake);
  const all = new Float32Array(evaluation.reduce((n, b) => n + b.pixels.length, 0));
  evaluation.reduce((at, b) => (all.set(b.pixels, at), at + b.pixels.length), 0);
  const fp = await engineLogits(ctx, model, all);
  console.log(`vit_faces.onnx (${fileBytes.length} bytes) on ${ctx.summary.vendor} ${ctx.summary.architecture}: quantize (${method}) at 4 bits on ${calibFaces.length} faces (${iters} iterations), verify on ${evalFaces.length}; FP32 AUC ${rocAucFromLogits(fp.rows, isFake).toFixed(4)}`);
  const out: Saved = { files: [], dims: [3, pre.size[0], pre.size[1]], count: isFake.length, simulated: {}, isFake, fpEngineMs: fp.ms };
  const file = { fileName: 'vit_faces.onnx', sha256: await sha256Hex(fileBytes), bytes: fileBytes.length };
  for (const actBits of [8, null]) {
    const mine = targets.filter((t) => TARGET_RULES[t].activations === (actBits !== null));
    if (mine.length === 0) continue;
    const sim = actBits === null ? 'weights only' : `A${actBits}`;
    const t0 = performance.now();
    const settings = { ...DEFAULT_SETTINGS, method, avgBits: 4, actBits, iters, storage: method === 'defakeq' ? ('export' as const) : ('true-width' as const), exportFormat: TARGET_RULES[mine[0]].format };
    const result = await quantizeModel(ctx, model, { calibration: calibration.map(({ pixels: p, count }) => ({ pixels: p, count })) }, settings, { reconstruct: reconstructor(ctx) });
    const simulated = await engineLogits(ctx, result.simulated, all, { reference: quantReferenceOps, gpu: quantGpuOps });
    out.simulated[sim] = simulated.rows;
    console.log(`${sim}: quantized in ${((performance.now() - t0) / 1000).toFixed(0)} s, ${result.report.avgBits.toFixed(3)} stored bits per weight, widths ${[...new Set(result.report.layers.map((l) => l.bits))].sort().join(', ')}; simulated AUC ${rocAucFromLogits(simulated.rows, isFake).toFixed(4)}`);
    const source = exportSourceOf(model, result, file);
    for (const target of mine) {
      for (const format of FILES[target]) {
        const key = `${target}_${format}`;
        files.set(key, exportOnnx(model, source, { target, format }).bytes);
        out.files.push({ key, target, format, sim });
      }
    }
  }
  return { saved: out, pixels: all };
}

const ortWebNode = (await import('onnxruntime-web')) as unknown as OrtModule & { env: { wasm: { numThreads: number } } };
ortWebNode.env.wasm.numThreads = 1;
let ortNode: OrtModule | null = null;
try {
  ortNode = (await import('onnxruntime-node')) as unknown as OrtModule;
} catch (e) {
  console.log(`onnxruntime-node is not usable here (${(e as Error).message.split('\n')[0]}); its rows are left out`);
}

const rows: BenchRow[] = [];
const dir = values.keep ?? OUT;
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const f of saved.files) {
  const bytes = files.get(f.key)!;
  writeFileSync(join(dir, `${f.key}.onnx`), bytes);
  const sim = saved.simulated[f.sim];
  const engine = await engineLogits(ctx, decodeModel(bytes), pixels);
  let worst = 0;
  engine.rows.forEach((r, i) => r.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - sim[i][j])))));
  rows.push({ file: f, bytes: bytes.length, v: {
    runtime: 'studio engine (Dawn, = cli eval)', ok: true, error: null, images: engine.rows.length, maxAbsDeltaLogit: worst, agreement: agreement(engine.rows, sim),
    auc: rocAucFromLogits(engine.rows, saved.isFake), simulatedAuc: rocAucFromLogits(sim, saved.isFake), msPerImage: engine.ms, fellBack: [], placement: [],
    fpMsPerImage: saved.fpEngineMs, fpFellBack: null, fpError: null,
  } });
  if (ortNode) rows.push({ file: f, bytes: bytes.length, v: await verifyExport(ortNode, 'onnxruntime-node cpu', 'cpu', bytes, images(f.sim), { fp: fileBytes }) });
  rows.push({ file: f, bytes: bytes.length, v: await verifyExport(ortWebNode, 'onnxruntime-web wasm (node)', 'wasm', bytes, images(f.sim), { fp: fileBytes }) });
}

// The browser half: the same files and images, in headless Chromium (Vite serves them from the work tree).
const meta = { ...saved, webgpuImages };
const pixelBytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
writeFileSync(join(dir, 'pixels.f32'), pixelBytes);
writeFileSync(join(dir, 'meta.json'), JSON.stringify(saved));
if (resolve(dir) !== resolve(OUT)) {
  mkdirSync(OUT, { recursive: true });
  for (const f of saved.files) writeFileSync(join(OUT, `${f.key}.onnx`), files.get(f.key)!);
}
writeFileSync(join(OUT, 'pixels.f32'), pixelBytes);
writeFileSync(join(OUT, 'meta.json'), JSON.stringify(meta));
writeFileSync(join(OUT, 'fp.onnx'), fileBytes); // the FP file for the ratio; removed below with the rest
try {
  for (const r of await runInChromium(String(process.pid))) rows.push({ file: saved.files.find((f) => f.key === r.key)!, bytes: r.bytes, v: r.v });
} finally {
  if (values.keep === undefined || resolve(values.keep) !== resolve(OUT)) rmSync(OUT, { recursive: true, force: true });
  else rmSync(join(OUT, 'fp.onnx'), { force: true });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB (${((100 * n) / fileBytes.length).toFixed(1)}%)`;
console.log('\nsize vs the FP32 file (target: at most 15%, aim 12.5%):');
for (const f of saved.files) {
  const bytes = files.get(f.key)!;
  const s = sizeBreakdown(decodeModel(bytes), bytes.length);
  const ratio = bytes.length / fileBytes.length;
  console.log(`  ${f.key.padEnd(12)} ${kb(s.total)}: codes ${kb(s.codes)}, scales+zero points ${kb(s.scales)}, other floats ${kb(s.floats)}, graph+metadata ${kb(s.graph)}; ${ratio <= 0.125 ? 'meets the 12.5% aim' : ratio <= 0.15 ? 'meets the 15% target' : 'MISSES the 15% target'}`);
}
console.log(`\n${formatRows(rows, fileBytes.length)}`);
for (const line of verdict(rows)) console.log(line);
process.exit(0);
