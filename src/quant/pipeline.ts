import { GpuModel } from '../engine/session.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { QuantLayer } from '../model/layers.ts';
import { blockOf, analyzeModel } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';
import { allocateBits, DEFAULT_CANDIDATES, type Allocation } from './allocate.ts';
import { averageBits, layerStoredBits, type LayerStorage } from './budget.ts';
import { calibrate, type CalibrationResult } from './calibrate.ts';
import { errorModel, measuredErrorTable, type ErrorModelName } from './error-models.ts';
import { agreement, layerSqnr, score, type LabelledBatch, type Scores } from './evaluate.ts';
import { quantGpuOps, quantReferenceOps } from './fake-quant-op.ts';
import { layerImportance } from './importance.ts';
import type { RangeMethod } from './observers.ts';
import type { QuantParams } from './quantizer.ts';
import { fakeQuantWeight, simulatedModel, weightParams, type SimulationPlan, type WeightRange } from './simulate.ts';

export type Method = 'defakeq' | 'adaround' | 'rtn';
export type StageName = 'calibrate' | 'score' | 'allocate' | 'reconstruct' | 'evaluate';

export interface QuantizeSettings {
  method: Method;
  /** Average stored bits per weight, every stored bit counted. */
  avgBits: number;
  candidates: number[];
  /** Activation bits on every quantized layer's input; null keeps activations in float. */
  actBits: number | null;
  actRange: RangeMethod;
  /** Per-channel weight ranges: min/max, or searched for the least squared rounding error. */
  weightRange: WeightRange;
  solver: 'exact' | 'relaxed';
  error: ErrorModelName;
  /** Reconstruction iterations per layer. */
  iters: number;
  /** Images whose activations feed the reconstruction. */
  reconImages: number;
  /** Reconstruct from the quantized upstream model's activations (default) or from the FP model's. */
  reconInputs: 'quantized' | 'fp';
  seed: number;
}

export const DEFAULT_SETTINGS: QuantizeSettings = {
  method: 'defakeq', avgBits: 4, candidates: [...DEFAULT_CANDIDATES], actBits: 8, actRange: 'percentile', weightRange: 'minmax',
  solver: 'relaxed', error: 'paper', iters: 300, reconImages: 32, reconInputs: 'quantized', seed: 0,
};

export interface ProgressEvent {
  stage: StageName;
  step: number;
  total: number;
  etaSeconds: number | null;
}

/** Learns the rounding of one layer; returns its fake-quantized weight in the stored layout. */
export type Reconstructor = (job: {
  layer: QuantLayer;
  weight: Float32Array;
  bits: number;
  params: QuantParams[];
  xIn: { rows: number; data: Float32Array };
  xFp: { rows: number; data: Float32Array };
  iterations: number;
  seed: number;
  signal?: AbortSignal;
}) => Promise<Float32Array>;

export interface LayerResult {
  name: string;
  op: string;
  bits: number;
  params: number;
  score: number;
  sqnr: number | null;
  reconstructed: boolean;
}

export interface QuantizeReport {
  settings: QuantizeSettings;
  avgBits: number;
  modelBytes: number;
  fpBytes: number;
  layers: LayerResult[];
  allocation: Pick<Allocation, 'objective' | 'averageBits' | 'solver' | 'error' | 'detail'> | null;
  /** Milliseconds per finished stage. */
  timings: Partial<Record<StageName, number>>;
  completed: StageName[];
  cancelled: boolean;
  evaluation: { fp: Omit<Scores, 'logits'>; quantized: Omit<Scores, 'logits'>; agreement: number } | null;
}

export interface QuantizeResult {
  report: QuantizeReport;
  plan: SimulationPlan;
  /** The simulated quantized model (fake-quant weights and activations), runnable by GpuModel. */
  simulated: Model;
}

export interface QuantizeInputs {
  calibration: { pixels: Float32Array; count: number }[];
  evaluation?: LabelledBatch[];
  fakeIndex?: number;
}

export interface QuantizeHooks {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  reconstruct?: Reconstructor;
}

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };

function storageOf(layer: QuantLayer): LayerStorage {
  const weights = layer.inFeatures * layer.outFeatures;
  return { params: weights, outFeatures: layer.outFeatures, biasCount: layer.params - weights };
}

/** Largest candidate width whose uniform use fits the budget. */
export function uniformBits(layers: readonly QuantLayer[], candidates: readonly number[], budget: number): number {
  const storage = layers.map(storageOf);
  const fitting = [...candidates].sort((a, b) => b - a).find((b) => averageBits(storage, storage.map(() => b)) <= budget + 1e-12);
  if (fitting === undefined) {
    throw new RangeError(`no uniform width fits ${budget} bits per weight; the least, ${Math.min(...candidates)} bits, needs ${averageBits(storage, storage.map(() => Math.min(...candidates))).toFixed(3)}`);
  }
  return fitting;
}

class Stages {
  readonly timings: Partial<Record<StageName, number>> = {};
  readonly completed: StageName[] = [];
  private stage: StageName = 'calibrate';
  private started = 0;

  constructor(private readonly hooks: QuantizeHooks) {}

  begin(stage: StageName, total: number): void {
    if (this.hooks.signal?.aborted) throw new DOMException('cancelled', 'AbortError');
    this.stage = stage;
    this.started = performance.now();
    this.hooks.onProgress?.({ stage, step: 0, total, etaSeconds: null });
  }

  step(step: number, total: number): void {
    const elapsed = (performance.now() - this.started) / 1000;
    this.hooks.onProgress?.({ stage: this.stage, step, total, etaSeconds: step > 0 ? (elapsed / step) * (total - step) : null });
    if (this.hooks.signal?.aborted) throw new DOMException('cancelled', 'AbortError');
  }

  end(): void {
    this.timings[this.stage] = performance.now() - this.started;
    this.completed.push(this.stage);
  }
}

const isAbort = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';

/**
 * The quantization pipeline: calibrate → score → allocate → reconstruct → evaluate. Every stage
 * reports progress and can be cancelled; a cancelled run returns what it finished, and its
 * simulated model is always usable (layers not reconstructed keep nearest rounding).
 */
export async function quantizeModel(ctx: GpuContext, model: Model, inputs: QuantizeInputs, settings: QuantizeSettings, hooks: QuantizeHooks = {}): Promise<QuantizeResult> {
  const structure = analyzeModel(model);
  const layers = structure.layers.filter((l) => model.graph.initializers.has(l.weight));
  if (layers.length === 0) throw new Error('the model has no layer with a constant weight to quantize');
  const stages = new Stages(hooks);
  const fp = new GpuModel(ctx, model, OPS);
  const plan: SimulationPlan = { layers: new Map() };
  const results: LayerResult[] = layers.map((l) => ({
    name: l.name, op: l.kind, bits: 32, params: l.params, score: 0, sqnr: null, reconstructed: false,
  }));
  let allocation: Allocation | null = null;
  let calibration: CalibrationResult | null = null;
  let evaluation: QuantizeReport['evaluation'] = null;
  let cancelled = false;
  let bits: number[] = [];

  const weightOf = (l: QuantLayer) => model.graph.initializers.get(l.weight)!.data as Float32Array;
  const setPlan = () => {
    plan.layers = new Map(layers.map((l, i) => [l.name, { bits: bits[i], range: settings.weightRange, weight: plan.layers.get(l.name)?.weight }]));
  };

  try {
    stages.begin('calibrate', inputs.calibration.length);
    calibration = await calibrate(fp, layers, inputs.calibration, {
      seed: settings.seed, signal: hooks.signal, onBatch: (d, t) => stages.step(d, t),
    });
    if (settings.actBits !== null) {
      const actBits = settings.actBits;
      plan.activations = new Map([...calibration.ranges].map(([name, r]) => [name, r.params(actBits, settings.actRange)]));
    }
    stages.end();

    stages.begin('score', layers.length);
    layers.forEach((l, i) => {
      const layout = l.layout === 'KxN' ? 'KxN' : 'NxK';
      results[i].score = layerImportance(weightOf(l), layout, l.inFeatures, l.outFeatures, calibration!.energy.get(l.name)!);
      stages.step(i + 1, layers.length);
    });
    stages.end();

    stages.begin('allocate', 1);
    if (settings.method === 'defakeq') {
      const table = settings.error === 'measured'
        ? measuredErrorTable(layers.map((l) => ({
            weight: weightOf(l), layout: l.layout === 'KxN' ? 'KxN' as const : 'NxK' as const,
            inFeatures: l.inFeatures, outFeatures: l.outFeatures,
            input: calibration!.inputs.get(l.name)!.data, rows: calibration!.inputs.get(l.name)!.rows,
          })), settings.candidates)
        : undefined;
      allocation = allocateBits({
        layers: layers.map(storageOf), scores: results.map((r) => r.score), budget: settings.avgBits,
        candidates: settings.candidates, error: errorModel(settings.error, table),
      }, settings.solver);
      bits = allocation.bits;
    } else {
      const b = uniformBits(layers, settings.candidates, settings.avgBits);
      bits = layers.map(() => b);
    }
    bits.forEach((b, i) => (results[i].bits = b));
    setPlan();
    stages.step(1, 1);
    stages.end();

    if (settings.method !== 'rtn') {
      if (!hooks.reconstruct) throw new Error(`method ${settings.method} needs a reconstructor for its learned rounding`);
      await reconstructAll();
    }

    await evaluateStage();
  } catch (error) {
    if (!isAbort(error)) {
      fp.dispose();
      throw error;
    }
    cancelled = true;
    if (bits.length === 0) {
      // Cancelled before any width was chosen: the usable state is the FP model itself.
      bits = layers.map(() => 32);
    }
  }
  fp.dispose();

  const quantized = layers.map((l, i) => ({ storage: storageOf(l), bits: bits[i] }));
  const storedBits = quantized.reduce((s, q) => s + (q.bits >= 32 ? (q.storage.params + (q.storage.biasCount ?? 0)) * 32 : layerStoredBits(q.storage, q.bits)), 0);
  const quantizedParams = layers.reduce((s, l) => s + l.params, 0);
  const fpBytes = structure.totalParams * 4;
  const modelBytes = storedBits / 8 + (structure.totalParams - quantizedParams) * 4;
  const simulated = bits.every((b) => b >= 32) ? model : simulatedModel(model, layers, plan);
  return {
    plan,
    simulated,
    report: {
      settings,
      avgBits: storedBits / quantized.reduce((s, q) => s + q.storage.params, 0),
      modelBytes,
      fpBytes,
      layers: results,
      allocation: allocation && { objective: allocation.objective, averageBits: allocation.averageBits, solver: allocation.solver, error: allocation.error, detail: allocation.detail },
      timings: stages.timings,
      completed: stages.completed,
      cancelled,
      evaluation,
    },
  };

  async function reconstructAll(): Promise<void> {
    const reconstruct = hooks.reconstruct!;
    stages.begin('reconstruct', layers.length);
    const images = takeImages(inputs.calibration, settings.reconImages);
    const input = model.graph.inputs[0].name;
    const fpTaps = (await fp.run({ [input]: images.pixels }, images.count, { taps: layers.map((l) => l.input) })).taps;
    // Layers are reconstructed block by block; a block's inputs come from the model quantized so far.
    const groups = new Map<string, number[]>();
    layers.forEach((l, i) => groups.set(blockOf(l.name) || l.name, [...(groups.get(blockOf(l.name) || l.name) ?? []), i]));
    let done = 0;
    const finished = new Set<number>();
    for (const members of groups.values()) {
      let quantTaps = fpTaps;
      if (settings.reconInputs === 'quantized' && done > 0) {
        const partial = new GpuModel(ctx, simulatedModel(model, layers.filter((_, i) => finished.has(i)), plan), OPS);
        try {
          quantTaps = (await partial.run({ [input]: images.pixels }, images.count, { taps: members.map((i) => layers[i].input) })).taps;
        } finally {
          partial.dispose();
        }
      }
      for (const i of members) {
        const l = layers[i];
        const weight = model.graph.initializers.get(l.weight)!;
        const params = weightParams(l, weight, bits[i], settings.weightRange);
        const rows = (t: { data: Float32Array | Int32Array }) => ({ rows: t.data.length / l.inFeatures, data: t.data as Float32Array });
        if (l.kind === 'conv') {
          // The patch embedding keeps nearest rounding: its inputs are the images themselves.
          plan.layers.set(l.name, { bits: bits[i], range: settings.weightRange, weight: fakeQuantWeight(l, weight, params) });
        } else {
          const weightQ = await reconstruct({
            layer: l, weight: weight.data as Float32Array, bits: bits[i], params,
            xIn: rows(quantTaps.get(l.input)!), xFp: rows(fpTaps.get(l.input)!),
            iterations: settings.iters, seed: settings.seed + i, signal: hooks.signal,
          });
          plan.layers.set(l.name, { bits: bits[i], weight: weightQ });
          results[i].reconstructed = true;
        }
        finished.add(i);
        stages.step(++done, layers.length);
      }
    }
    stages.end();
  }

  async function evaluateStage(): Promise<void> {
    const total = (inputs.evaluation?.length ?? 0) * 2 + 1;
    stages.begin('evaluate', total);
    const q = new GpuModel(ctx, simulatedModel(model, layers, plan), OPS);
    try {
      const sqnr = await layerSqnr(fp, q, layers, inputs.calibration[0]);
      results.forEach((r) => (r.sqnr = sqnr.get(r.name) ?? null));
      stages.step(1, total);
      if (inputs.evaluation?.length) {
        const a = await score(fp, inputs.evaluation, inputs.fakeIndex, hooks.signal);
        stages.step(1 + inputs.evaluation.length, total);
        const b = await score(q, inputs.evaluation, inputs.fakeIndex, hooks.signal);
        const strip = ({ logits: _l, ...rest }: Scores) => rest;
        evaluation = { fp: strip(a), quantized: strip(b), agreement: agreement(a.logits, b.logits) };
      }
      stages.step(total, total);
    } finally {
      q.dispose();
    }
    stages.end();
  }
}

function takeImages(batches: readonly { pixels: Float32Array; count: number }[], count: number): { pixels: Float32Array; count: number } {
  const perImage = batches[0].pixels.length / batches[0].count;
  const parts: Float32Array[] = [];
  let n = 0;
  for (const b of batches) {
    if (n >= count) break;
    const take = Math.min(count - n, b.count);
    parts.push(b.pixels.subarray(0, take * perImage));
    n += take;
  }
  const pixels = new Float32Array(n * perImage);
  let at = 0;
  for (const p of parts) {
    pixels.set(p, at);
    at += p.length;
  }
  return { pixels, count: n };
}
