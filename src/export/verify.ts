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
}

/** onnxruntime logs node placement at verbose level; its lines are read from the console while the session loads (and not echoed). */
function captureLog<T>(work: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) {
    const original = saved[methods.indexOf(m)];
    console[m] = (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (/onnxruntime/.test(text)) lines.push(...text.split('\n'));
      else original.apply(console, args);
    };
  }
  return work().then((value) => ({ value, lines })).finally(() => methods.forEach((m, i) => (console[m] = saved[i])));
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

export async function verifyExport(ort: OrtModule, runtime: string, ep: string, bytes: Uint8Array, images: VerifyImages): Promise<Verification> {
  const result: Verification = {
    runtime, ok: false, error: null, images: 0, maxAbsDeltaLogit: null, agreement: null, auc: null, simulatedAuc: null, msPerImage: null, fellBack: [], placement: [],
  };
  let session: OrtSession | null = null;
  try {
    if (ep === 'webgpu') {
      // A verbose session tells where each node was placed; the timed one logs at the default level.
      const loaded = await captureLog(() => ort.InferenceSession.create(bytes, { executionProviders: [ep], logSeverityLevel: 0, logVerbosityLevel: 0 }));
      await loaded.value.release();
      const placed = placementOf(loaded.lines);
      result.placement = [...placed].map(([provider, nodes]) => `${provider}: ${nodes.length} nodes`);
      // Anything on the CPU fell back (onnxruntime keeps shape plumbing there on purpose).
      result.fellBack = placed.get('CPUExecutionProvider') ?? [];
    }
    session = await ort.InferenceSession.create(bytes, { executionProviders: [ep] });
    const { rows, ms } = await runAll(ort, session, images);
    if (rows.length !== images.simulated.length) throw new Error(`${rows.length} rows of logits for ${images.simulated.length} simulated`);
    let worst = 0;
    rows.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - images.simulated[i][j])))));
    result.images = rows.length;
    result.maxAbsDeltaLogit = worst;
    result.agreement = agreement(rows, images.simulated);
    result.msPerImage = ms / rows.length;
    if (images.isFake && images.isFake.some((f) => f) && images.isFake.some((f) => !f)) {
      result.auc = rocAucFromLogits(rows, images.isFake, images.fakeIndex ?? 1);
      result.simulatedAuc = rocAucFromLogits(images.simulated, images.isFake, images.fakeIndex ?? 1);
    }
    result.ok = Number.isFinite(worst);
    if (!result.ok) result.error = 'non-finite logits';
  } catch (e) {
    result.error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  } finally {
    await session?.release().catch(() => undefined);
  }
  return result;
}

async function runAll(ort: OrtModule, session: OrtSession, images: VerifyImages): Promise<{ rows: number[][]; ms: number }> {
  const rows: number[][] = [];
  let ms = 0;
  for (const batch of images.batches) {
    const per = batch.pixels.length / batch.count;
    // One image per run: ms/image is then per request, and fixed-batch exports run too.
    for (let i = 0; i < batch.count; i++) {
      const feed = new ort.Tensor('float32', batch.pixels.slice(i * per, (i + 1) * per), [1, ...images.dims]);
      const t0 = performance.now();
      const out = await session.run({ [session.inputNames[0]]: feed });
      ms += performance.now() - t0;
      const data = out[session.outputNames[0]].data;
      if (!(data instanceof Float32Array)) throw new Error('the output is not float32');
      rows.push(Array.from(data));
    }
  }
  return { rows, ms };
}
