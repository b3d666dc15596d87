// The browser half of bench/pipeline.ts: the engine's forward pass against onnxruntime-web's
// native WebGPU EP on the same GPUDevice, the engine's kernel families against its best matmul
// rate, and (with stages) the quantization pipeline's stages likewise.
import * as ort from 'onnxruntime-web/webgpu';
import asyncifyBinary from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { GpuModel } from '../src/engine/session.ts';
import { DEFAULT_TILES, recordMatmul, type MatmulShape } from '../src/engine/kernels/matmul.ts';
import { createGpuContext, type GpuContext } from '../src/gpu/device.ts';
import { CommandBatch } from '../src/gpu/encoder.ts';
import { TimestampProfiler, type KernelTotal } from '../src/gpu/profiler.ts';
import { randomFloats } from '../src/gpu/testing.ts';
import { analyzeModel } from '../src/model/summary.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import type { Model } from '../src/onnx/ir.ts';
import { modelInputDims } from '../src/onnx/prepare.ts';
import { quantizeModel } from '../src/quant/pipeline/quantize.ts';
import { reconstructor } from '../src/quant/reconstruction/reconstructor.ts';
import { STAGES } from '../src/quant/report.ts';
import { DEFAULT_SETTINGS } from '../src/quant/settings.ts';
import { clockName, msPerRun } from './cpu-clock.ts';

const params = new URLSearchParams(location.search);
const runs = Number(params.get('runs') ?? 3);
const log = (line: string) => console.log(line);
const fixed = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '-');

/** GFLOP/s of the vec4 matmul at each shape, from the fastest of `repeats` timestamped runs; the best is the reference rate. */
async function bestMatmulRate(ctx: GpuContext, shapes: MatmulShape[], repeats: number): Promise<{ rate: number; shape: MatmulShape }> {
  let best = { rate: 0, shape: shapes[0] };
  for (const shape of shapes) {
    const ga = ctx.buffers.upload(randomFloats(shape.M * shape.K, 1));
    const gb = ctx.buffers.upload(randomFloats(shape.K * shape.N, 2));
    const gc = ctx.buffers.acquire(shape.M * shape.N * 4);
    const profiler = TimestampProfiler.create(ctx, 8)!;
    let fastest = Infinity;
    for (let i = 0; i <= repeats; i++) {
      const cmd = new CommandBatch(ctx, profiler);
      recordMatmul(ctx, cmd, ga, gb, gc, shape, null, DEFAULT_TILES);
      cmd.submit();
      const [t] = await profiler.read();
      if (i > 0) fastest = Math.min(fastest, t.ms); // the first run compiles
    }
    profiler.destroy();
    [ga, gb, gc].forEach((b) => ctx.buffers.release(b));
    const rate = (2 * shape.M * shape.N * shape.K) / fastest / 1e6;
    log(`  vec4 matmul ${shape.M}x${shape.K}x${shape.N}: ${fixed(rate)} GFLOP/s`);
    if (rate > best.rate) best = { rate, shape };
  }
  return best;
}

/** The model's two largest layers at batch 1 (rows as many as their input has), K and N rounded up to 4, and one square product. */
function referenceShapes(model: Model, engine: GpuModel): MatmulShape[] {
  const shapes = engine.plan(1).shapes;
  const layers = analyzeModel(model).layers.filter((l) => l.kind !== 'conv').sort((a, b) => b.params - a.params);
  const own = layers.slice(0, 2).map((l) => {
    const rows = (shapes.get(l.input)?.dims ?? [1]).reduce((a, b) => a * b, 1) / l.inFeatures;
    return { M: Math.max(1, Math.round(rows)), K: Math.ceil(l.inFeatures / 4) * 4, N: Math.ceil(l.outFeatures / 4) * 4 };
  });
  return [...own, { M: 512, K: 512, N: 512 }];
}

function familyTable(totals: KernelTotal[], best: number, wallMs?: number): void {
  if (totals.length === 0) {
    log('  no GPU work');
    return;
  }
  const byLabel = new Map<string, { ms: number; flops: number; passes: number }>();
  for (const t of totals) {
    const f = byLabel.get(t.label) ?? { ms: 0, flops: 0, passes: 0 };
    byLabel.set(t.label, { ms: f.ms + t.ms, flops: f.flops + t.flops, passes: f.passes + t.passes });
  }
  const kernelMs = [...byLabel.values()].reduce((s, f) => s + f.ms, 0);
  const flops = [...byLabel.values()].reduce((s, f) => s + f.flops, 0);
  log(`  ${'kernel family'.padEnd(24)} ${'passes'.padStart(7)} ${'ms'.padStart(10)} ${'share'.padStart(6)} ${'GFLOP/s'.padStart(8)} ${'of best'.padStart(8)}`);
  for (const [label, f] of [...byLabel].sort((a, b) => b[1].ms - a[1].ms)) {
    const rate = f.flops ? f.flops / f.ms / 1e6 : NaN;
    log(`  ${label.padEnd(24)} ${String(f.passes).padStart(7)} ${fixed(f.ms, 1).padStart(10)} ${`${((100 * f.ms) / kernelMs).toFixed(0)}%`.padStart(6)} ${fixed(rate).padStart(8)} ${(f.flops ? `${((100 * rate) / best).toFixed(0)}%` : '-').padStart(8)}`);
  }
  const overall = flops / kernelMs / 1e6;
  log(`  all kernels: ${fixed(kernelMs, 1)} ms, ${fixed(flops / 1e9)} GFLOP counted, ${fixed(overall)} GFLOP/s = ${((100 * overall) / best).toFixed(0)}% of the best matmul rate` +
    (wallMs ? `; over the wall time (${fixed(wallMs, 0)} ms): ${fixed(flops / wallMs / 1e6)} GFLOP/s = ${((100 * flops) / wallMs / 1e6 / best).toFixed(0)}%` : ''));
}

async function forward(ctx: GpuContext, bytes: Uint8Array, model: Model, best: number): Promise<void> {
  const input = model.graph.inputs[0].name;
  const dims = modelInputDims(model, 1)[input];
  const pixels = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 0.9);
  const engine = new GpuModel(ctx, model);
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = { wasm: asyncifyBinary };
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [{ name: 'webgpu', device: ctx.device } as never], graphOptimizationLevel: 'all' });
  const feed = { [session.inputNames[0]]: new ort.Tensor('float32', pixels, dims) };
  let ours: Float32Array | null = null;
  let theirs: Float32Array | null = null;
  const runners = [
    { run: async () => void (ours = (await engine.run({ [input]: pixels }, 1)).outputs[model.graph.outputs[0].name].data as Float32Array) },
    { run: async () => void (theirs = (await session.run(feed))[session.outputNames[0]].data as Float32Array) },
  ];
  const ms = await msPerRun(runners, { turns: runs, minTurnMs: 0 });
  const delta = Math.max(...ours!.map((v, i) => Math.abs(v - theirs![i])));
  log(`forward pass, batch 1, ${runs} runs each after a warm-up, timed by ${await clockName()}:`);
  log(`  engine ${fixed(ms[0], 1)} ms, onnxruntime-web WebGPU EP ${fixed(ms[1], 1)} ms: engine/ort time ratio ${fixed(ms[0] / ms[1], 2)} (max |Δ output| ${delta.toExponential(2)})`);
  // One more engine run under the timestamp profiler: where its time goes.
  const profiler = TimestampProfiler.create(ctx, 2048)!;
  engine.profiler = profiler;
  const t0 = performance.now();
  await engine.run({ [input]: pixels }, 1);
  const wall = performance.now() - t0;
  engine.profiler = null;
  log('engine kernels in one forward pass (GPU timestamps):');
  familyTable(await profiler.totals(), best, wall);
  profiler.destroy();
  engine.dispose();
  await session.release();
}

async function stages(ctx: GpuContext, model: Model, best: number): Promise<void> {
  const input = model.graph.inputs[0].name;
  const dims = modelInputDims(model, 1)[input];
  const per = dims.reduce((a, b) => a * b, 1);
  const count = Number(params.get('calibImages') ?? 8);
  const calibration = Array.from({ length: Math.ceil(count / 4) }, (_, b) => {
    const n = Math.min(4, count - 4 * b);
    return { pixels: Float32Array.from({ length: n * per }, (_, i) => Math.sin((i + b * 7919) * 0.37) * 0.9), count: n };
  });
  const actBits = params.get('actBits') === 'none' ? null : Number(params.get('actBits') ?? 8);
  const settings = { ...DEFAULT_SETTINGS, method: (params.get('method') ?? 'rtn') as 'rtn', iters: Number(params.get('iters') ?? 20), actBits, errorImages: Math.min(count, 8), reconImages: Math.min(count, 8) };
  const profiler = TimestampProfiler.create(ctx, 2048)!;
  ctx.profiler = profiler;
  let result;
  try {
    result = await quantizeModel(ctx, model, { calibration }, settings, { reconstruct: reconstructor(ctx), onProgress: (e) => (profiler.tag = e.stage) });
  } finally {
    ctx.profiler = null;
  }
  const totals = await profiler.totals();
  profiler.destroy();
  log(`quantization pipeline (${settings.method}, ${count} calibration images, ${settings.iters} iterations, activations ${actBits ?? 'float'}):`);
  for (const stage of STAGES) {
    const wall = result.report.timings[stage];
    if (wall === undefined) continue;
    log(`stage ${stage}: ${fixed(wall / 1000, 1)} s`);
    familyTable(totals.filter((t) => t.tag === stage), best, wall);
  }
}

async function main(): Promise<void> {
  const bytes = new Uint8Array(await (await fetch('/bench-model.onnx')).arrayBuffer());
  const model = decodeModel(bytes, { fileName: params.get('name') ?? 'model.onnx' });
  const ctx = await createGpuContext();
  log(`${params.get('name')} (${(bytes.length / 1e6).toFixed(1)} MB) on ${ctx.summary.vendor} ${ctx.summary.architecture}; onnxruntime-web ${ort.env.versions.web}`);
  const probe = new GpuModel(ctx, model);
  const shapes = referenceShapes(model, probe);
  probe.dispose();
  log("the engine's best matmul rate (vec4 kernel; the model's two largest layers at batch 1, and 512³):");
  const best = await bestMatmulRate(ctx, shapes, 3);
  log(`  best: ${fixed(best.rate)} GFLOP/s`);
  await forward(ctx, bytes, model, best.rate);
  const wanted = params.get('stages') ?? '';
  if (wanted && wanted !== 'none') await stages(ctx, model, best.rate);
}

main().then(() => log('bench:done'), (e: unknown) => log(`bench:failed ${e instanceof Error ? e.message : String(e)}`));
