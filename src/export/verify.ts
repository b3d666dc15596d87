import { rocAucFromLogits } from '../data/metrics.ts';
import { agreement } from '../quant/evaluation/evaluate.ts';

/**
 * Runs an exported file in onnxruntime and compares it with the studio's own simulation of the
 * quantized model on the same images. Works with any onnxruntime JS package (onnxruntime-web's
 * wasm or webgpu entry, onnxruntime-node), passed in, so the page, the worker, the CLI and the
 * tests share it.
 */

/** The part of onnxruntime's JS API we use. */
export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
  /** The package's versions (onnxruntime-web has `web`, onnxruntime-node `node`). */
  env?: { versions?: { common?: string; web?: string; node?: string } };
}

export interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>, options?: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
  release(): Promise<void>;
}

export interface VerifyImages {
  /** NCHW float32 batches, preprocessed like the studio's. */
  batches: { pixels: Float32Array; count: number }[];
  dims: [number, number, number];
  /** The simulated quantized model's logits for the same images, row by row. */
  simulated: number[][];
  isFake?: boolean[];
  fakeIndex?: number;
}

export interface Verification {
  /** e.g. "onnxruntime-web wasm", "onnxruntime-web webgpu", "onnxruntime-node cpu". */
  runtime: string;
  ok: boolean;
  /** Why the session did not load or run, when ok is false. */
  error: string | null;
  images: number;
  maxAbsDeltaLogit: number | null;
  /** Fraction of images whose predicted class matches the simulation's. */
  agreement: number | null;
  auc: number | null;
  simulatedAuc: number | null;
  msPerImage: number | null;
  /** Nodes onnxruntime placed on another device than the one asked for, from its placement log. */
  fellBack: string[];
  /** onnxruntime's own placement summary ("WebGpuExecutionProvider: 121 nodes"); empty when its log gave none. */
  placement: string[];
  /** The float model's file on the same runtime and images, when it was given: its ms/image, run alternately with the export's. */
  fpMsPerImage: number | null;
  /** The float model's nodes off the EP (WebGPU only; null when not checked). */
  fpFellBack: string[] | null;
  /** Why the float model did not load or run, when it was given and failed. */
  fpError: string | null;
}

export interface VerifyOptions {
  /** The float model's file: timed on the same runtime and images, for the quantized/FP ratio. */
  fp?: Uint8Array;
}

/** The export's time per image over the float model's on the same runtime, when both are known. */
export function speedRatio(v: Pick<Verification, 'msPerImage' | 'fpMsPerImage'>): number | null {
  return v.msPerImage !== null && v.fpMsPerImage !== null && v.fpMsPerImage > 0 ? v.msPerImage / v.fpMsPerImage : null;
}

/**
 * onnxruntime-web prints its log through console methods that its wasm module binds once, when it
 * first starts: a hook installed and removed around one session would catch only the first
 * session's lines. So a router is installed once, before any session, and hands onnxruntime's lines
 * to whichever capture is open (none: they go to the console as before).
 */
let sink: string[] | null = null;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;
for (const m of CONSOLE_METHODS) {
  const original = console[m];
  console[m] = (...args: unknown[]) => {
    const text = sink ? args.map(String).join(' ') : '';
    if (sink && /onnxruntime/.test(text)) sink.push(...text.split('\n'));
    else original.apply(console, args);
  };
}

/** onnxruntime's log lines printed while `work` runs (not echoed). */
async function captureLog<T>(work: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const outer = sink;
  sink = lines;
  try {
    return { value: await work(), lines };
  } finally {
    sink = outer;
  }
}

/** Nodes per execution provider from onnxruntime's "Node(s) placed on [EP]" block, as "OpType (name)". */
export function placementOf(lines: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string | null = null;
  for (const raw of lines) {
    const text = raw.replace(/^.*?\[[VIWE]:onnxruntime:[^\]]*\]/, '');
    const head = /(?:Node\(s\)|All nodes) placed on \[(\w+)\]/.exec(text);
    if (head) {
      current = head[1];
      out.set(current, out.get(current) ?? []);
      continue;
    }
    const entry = /^\s+(\S+ \(.*\))\s*$/.exec(text);
    if (current && entry) out.get(current)!.push(entry[1]);
    else current = null;
  }
  return out;
}

/** "WebGpuExecutionProvider: 121 nodes" per provider, counted from the log's "Number of nodes" (an "All nodes" line lists none). */
export function placementSummary(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const raw of lines) {
    const head = /(?:Node\(s\)|All nodes) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(raw);
    if (head) counts.set(head[1], (counts.get(head[1]) ?? 0) + Number(head[2]));
  }
  const listed = placementOf(lines);
  for (const [provider, nodes] of listed) if (!counts.has(provider)) counts.set(provider, nodes.length);
  return [...counts].map(([provider, n]) => `${provider}: ${n} nodes`);
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Where onnxruntime places the nodes of `bytes` on `ep`, read from a verbose session's log. */
async function placementOn(ort: OrtModule, ep: string, bytes: Uint8Array): Promise<{ summary: string[]; cpu: string[] }> {
  const loaded = await captureLog(() => ort.InferenceSession.create(bytes, { executionProviders: [ep], logSeverityLevel: 0, logVerbosityLevel: 0 }));
  await loaded.value.release();
  const summary = placementSummary(loaded.lines);
  const cpu = placementOf(loaded.lines).get('CPUExecutionProvider') ?? [];
  // "All nodes placed on [CPUExecutionProvider]" counts them without listing them.
  const counted = Number(/^CPUExecutionProvider: (\d+)/.exec(summary.find((p) => p.startsWith('CPUExecutionProvider')) ?? '')?.[1] ?? 0);
  while (cpu.length < counted) cpu.push('? (not listed)');
  return { summary, cpu };
}

export async function verifyExport(ort: OrtModule, runtime: string, ep: string, bytes: Uint8Array, images: VerifyImages, options: VerifyOptions = {}): Promise<Verification> {
  const result: Verification = {
    runtime, ok: false, error: null, images: 0, maxAbsDeltaLogit: null, agreement: null, auc: null, simulatedAuc: null, msPerImage: null, fellBack: [], placement: [],
    fpMsPerImage: null, fpFellBack: null, fpError: null,
  };
  const sessions: OrtSession[] = [];
  try {
    if (ep === 'webgpu') {
      // A verbose session tells where each node was placed; the timed one logs at the default level.
      const placed = await placementOn(ort, ep, bytes);
      result.placement = placed.summary;
      // Anything on the CPU fell back (onnxruntime keeps shape plumbing there on purpose).
      result.fellBack = placed.cpu;
    }
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep] });
    sessions.push(session);
    const fp = options.fp ? await floatSession(ort, ep, options.fp, result) : null;
    if (fp) sessions.push(fp);
    const { rows, ms, fpMs } = await runAll(ort, session, fp, images);
    if (rows.length !== images.simulated.length) throw new Error(`${rows.length} rows of logits for ${images.simulated.length} simulated`);
    let worst = 0;
    rows.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - images.simulated[i][j])))));
    result.images = rows.length;
    result.maxAbsDeltaLogit = worst;
    result.agreement = agreement(rows, images.simulated);
    result.msPerImage = ms / rows.length;
    if (fp) result.fpMsPerImage = fpMs / rows.length;
    if (images.isFake && images.isFake.some((f) => f) && images.isFake.some((f) => !f)) {
      result.auc = rocAucFromLogits(rows, images.isFake, images.fakeIndex ?? 1);
      result.simulatedAuc = rocAucFromLogits(images.simulated, images.isFake, images.fakeIndex ?? 1);
    }
    result.ok = Number.isFinite(worst);
    if (!result.ok) result.error = 'non-finite logits';
  } catch (e) {
    result.error = firstLine(e);
  } finally {
    for (const s of sessions) await s.release().catch(() => undefined);
  }
  return result;
}

/** The float model's session (its placement recorded on WebGPU), or null with fpError set when it does not load. */
async function floatSession(ort: OrtModule, ep: string, bytes: Uint8Array, result: Verification): Promise<OrtSession | null> {
  try {
    if (ep === 'webgpu') result.fpFellBack = (await placementOn(ort, ep, bytes)).cpu;
    return await ort.InferenceSession.create(bytes, { executionProviders: [ep] });
  } catch (e) {
    result.fpError = firstLine(e);
    return null;
  }
}

async function timedRun(session: OrtSession, feed: unknown): Promise<{ data: Float32Array; ms: number }> {
  const t0 = performance.now();
  const out = await session.run({ [session.inputNames[0]]: feed });
  const ms = performance.now() - t0;
  const data = out[session.outputNames[0]].data;
  if (!(data instanceof Float32Array)) throw new Error('the output is not float32');
  return { data, ms };
}

/**
 * Every image through the export (and the float model, alternately, so a machine busy with other
 * work slows both alike). One image per run: ms/image is then per request, and fixed-batch exports
 * run too. Each session's first run compiles its kernels and is not timed.
 */
async function runAll(ort: OrtModule, session: OrtSession, fp: OrtSession | null, images: VerifyImages): Promise<{ rows: number[][]; ms: number; fpMs: number }> {
  const rows: number[][] = [];
  let ms = 0;
  let fpMs = 0;
  let warm = false;
  for (const batch of images.batches) {
    const per = batch.pixels.length / batch.count;
    for (let i = 0; i < batch.count; i++) {
      const feed = new ort.Tensor('float32', batch.pixels.slice(i * per, (i + 1) * per), [1, ...images.dims]);
      if (!warm) {
        await session.run({ [session.inputNames[0]]: feed });
        if (fp) await fp.run({ [fp.inputNames[0]]: feed });
        warm = true;
      }
      const run = await timedRun(session, feed);
      ms += run.ms;
      rows.push(Array.from(run.data));
      if (fp) fpMs += (await timedRun(fp, feed)).ms;
    }
  }
  return { rows, ms, fpMs };
}
