import { GpuModel, type HostTensor } from '../engine/session.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { QuantLayer } from '../model/layers.ts';
import { DEFAULT_FAKE_INDEX } from '../model/labels.ts';
import { blockOf, analyzeModel } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';
import { allocateBits, type Allocation } from './allocate.ts';
import type { QuantizeSettings } from './settings.ts';
import { STAGES, type LayerLoss, type LayerResult, type ProgressEvent, type QuantizeReport, type QuantizeResult, type StageName } from './report.ts';
import { layerStoredBits } from '../storage/stored-bits.ts';
import { layerCostOf, storageOf, storageOptions, type LayerCost } from '../storage/cost.ts';
import { calibrate, unfoldPatches, type CalibrationResult } from './calibrate.ts';
import { errorModel, measuredErrorTable, type MeasuredErrorTable } from './error-models.ts';
import { agreement, layerSqnr, pairedAucChange, score, type LabelledBatch, type Scores } from './evaluate.ts';
import { fakeQuantActivations } from './fake-quant.ts';
import { quantGpuOps, quantReferenceOps } from './fake-quant-op.ts';
import { halfFloatModel, type HalfFloats } from './half-floats.ts';
import { layerImportance } from './importance.ts';
import { centredLogits, jointLogitErrors, logitErrorTable } from './logit-errors.ts';
import { QuantizedInputs } from './quantized-inputs.ts';
import { takeImages } from './sample-images.ts';
import { channelRanges, reparameterize, reparamSites } from './reparam.ts';
import type { QuantParams } from './quantizer.ts';
import { fakeQuantWeight, simulatedModel, weightParams, type SimulationPlan, type WeightRange } from './simulate.ts';
import { fixedRange, lowerErrors, rangeAt, type RangedErrorTable } from './weight-ranges.ts';

/** Learns the rounding of one layer; returns its fake-quantized weight in the stored layout. */
export type Reconstructor = (job: {
  layer: QuantLayer;
  weight: Float32Array;
  bits: number;
  params: QuantParams[];
  /** The rounding's inputs, as the quantized model computes them (see reconInputs). */
  xIn: { rows: number; data: Float32Array };
  /** The inputs of the targets W·x: xIn itself (eq. 7), or the float model's with reconTargets 'float'. */
  xFp: { rows: number; data: Float32Array };
  iterations: number;
  seed: number;
  signal?: AbortSignal;
}) => Promise<Float32Array | ReconstructedWeight>;

export interface ReconstructedWeight {
  /** The fake-quantized weight in the stored layout. */
  weightQ: Float32Array;
  /** Codes above / below round-to-nearest's. */
  roundedUp: number;
  roundedDown: number;
  /** The layer's own objective (1/rows)·‖Wx − W~x‖² over its inputs, with nearest rounding and with the learned one. */
  loss?: LayerLoss;
}

export interface QuantizeInputs {
  calibration: { pixels: Float32Array; count: number }[];
  evaluation?: LabelledBatch[];
  fakeIndex?: number;
  /**
   * Work that depends only on the model, these inputs and the seed, not on the other settings:
   * pass the same (initially empty) object to every run over the same model and images, and each
   * is computed once. Never share it across models or image sets.
   */
  cache?: QuantizeCache;
}

export interface QuantizeCache {
  /** By seed and reparameterisation. */
  calibration?: Map<string, CalibrationResult>;
  /** By seed, reparameterisation, error model, candidate widths; 'logits' tables by weight range and images, and by seed only with a reparameterisation. */
  measured?: Map<string, MeasuredErrorTable>;
  /** The FP model on the evaluation set (reparameterisation does not change it). */
  fpScores?: Scores;
  /** The reparameterised model, by seed. */
  reparameterized?: Map<number, { model: Model; norms: string[] }>;
}

export interface QuantizeHooks {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  reconstruct?: Reconstructor;
}

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };

/** Largest candidate width whose uniform use fits the budget (true-width float32 accounting unless `cost` says otherwise). */
export function uniformBits(layers: readonly QuantLayer[], candidates: readonly number[], budget: number, cost?: LayerCost): number {
  const storage = layers.map((l) => storageOf(l));
  const price = cost ?? ((l: number, b: number) => layerStoredBits(storage[l], b));
  const params = storage.reduce((s, l) => s + l.params, 0);
  const average = (b: number) => layers.reduce((s, _, l) => s + price(l, b), 0) / params;
  const fitting = [...candidates].sort((a, b) => b - a).find((b) => average(b) <= budget + 1e-12);
  if (fitting === undefined) {
    throw new RangeError(`no uniform width fits ${budget} bits per weight; the least, ${Math.min(...candidates)} bits, needs ${average(Math.min(...candidates)).toFixed(3)}`);
  }
  return fitting;
}

/** The layers the pipeline quantizes: every layer analyzeModel finds whose weight is a constant. */
export function quantizableLayers(model: Model): QuantLayer[] {
  return analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight));
}

/**
 * The stored bits per weight of every layer at `bits` (codes, scales, zero points and biases):
 * the budget at which a uniform b-bit model and a mixed allocation store the same bytes.
 */
export function uniformBudget(model: Model, bits: number, settings: Pick<QuantizeSettings, 'storage' | 'exportFormat' | 'floatParams'> = {}): number {
  const layers = quantizableLayers(model);
  const cost = layerCostOf(model, layers, settings);
  return layers.reduce((s, _, l) => s + cost(l, bits), 0) / layers.reduce((s, l) => s + l.inFeatures * l.outFeatures, 0);
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

  /** The stage running now (or the last one begun). */
  get current(): StageName {
    return this.stage;
  }
}

/**
 * A run that failed (a device lost, an engine error) after finishing some stages. `partial` holds
 * what finished, as a cancelled run would: its report carries `failed`, and its model is usable.
 */
export class QuantizeFailure extends Error {
  override name = 'QuantizeFailure';
  constructor(cause: unknown, readonly partial: QuantizeResult) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

const isAbort = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';

/**
 * The quantization pipeline, the stages of STAGES in order: (reparameterize, when asked) →
 * calibrate → score → allocate → reconstruct (not for RTN) → evaluate. Every stage
 * reports progress and can be cancelled; a cancelled run returns what it finished, and its
 * simulated model is always usable (layers not reconstructed keep nearest rounding).
 */
export async function quantizeModel(ctx: GpuContext, model: Model, inputs: QuantizeInputs, settings: QuantizeSettings, hooks: QuantizeHooks = {}): Promise<QuantizeResult> {
  const structure = analyzeModel(model);
  const layers = structure.layers.filter((l) => model.graph.initializers.has(l.weight));
  if (layers.length === 0) throw new Error('the model has no layer with a constant weight to quantize');
  const stages = new Stages(hooks);
  // The FP baseline; `model` becomes its reparameterised and/or float16-rounded equivalent.
  const original = model;
  const half = settings.floatParams === 'fp16';
  let halfFloats: HalfFloats | null = null;
  let fp = new GpuModel(ctx, model, OPS);
  const plan: SimulationPlan = { layers: new Map() };
  const results: LayerResult[] = layers.map((l) => ({
    name: l.name, op: l.kind, bits: 32, params: l.params, score: 0, sqnr: null, reconstructed: false, range: fixedRange(settings.weightRange), roundedUp: null, roundedDown: null,
  }));
  let allocation: Allocation | null = null;
  let calibration: CalibrationResult | null = null;
  let evaluation: QuantizeReport['evaluation'] = null;
  let quantizedScores: Scores | undefined;
  let cancelled = false;
  let bits: number[] = [];
  let floatReference: Float64Array | null = null;
  let failure: { cause: unknown; stage: StageName } | undefined;

  const weightOf = (l: QuantLayer) => model.graph.initializers.get(l.weight)!.data as Float32Array;
  const rangeOf = (i: number) => results[i].range;
  const setPlan = () => {
    plan.layers = new Map(layers.map((l, i) => [l.name, { bits: bits[i], range: rangeOf(i), weight: plan.layers.get(l.name)?.weight }]));
  };
  const cache = inputs.cache ?? {};
  const reparam = settings.actReparam === true && settings.actBits !== null;
  // Cached work is keyed by what it depends on besides the model and the images.
  const variant = `${settings.seed}:${reparam ? 'reparam' : 'plain'}${half ? ':fp16' : ''}`;
  // The logit table runs the float model on fixed images: the seed matters only through a reparameterisation's sampled ranges.
  const logitVariant = reparam ? variant : `${half ? 'fp16' : 'fp32'}`;
  let reparameterized: string[] = [];

  // The stage table: what each stage in STAGES does and whether this run needs it.
  const implementations: Record<StageName, { needed: () => boolean; run: () => Promise<void> }> = {
    reparameterize: { needed: () => reparam, run: reparameterizeStage },
    calibrate: { needed: () => true, run: calibrateStage },
    score: { needed: () => true, run: scoreStage },
    allocate: { needed: () => true, run: allocateStage },
    reconstruct: { needed: () => settings.method !== 'rtn', run: reconstructStage },
    evaluate: { needed: () => true, run: evaluateStage },
  };

  try {
    for (const name of STAGES) {
      const stage = implementations[name];
      if (stage.needed()) await stage.run();
    }
  } catch (error) {
    if (!isAbort(error) && stages.completed.length === 0) throw error;
    if (isAbort(error)) cancelled = true;
    else failure = { cause: error, stage: stages.current };
    if (bits.length === 0) {
      // Stopped before any width was chosen: the usable state is the FP model itself.
      bits = layers.map(() => 32);
    }
  } finally {
    fp.dispose();
  }
  const result = resultOf();
  if (failure) throw new QuantizeFailure(failure.cause, result);
  return result;

  function resultOf(): QuantizeResult {
    const quantized = layers.map((l, i) => ({ storage: storageOf(l, settings.floatParams), bits: bits[i] }));
    const cost = layerCostOf(model, layers, settings);
    const storedBits = quantized.reduce((s, q, l) => s + (q.bits >= 32 ? layers[l].params * 32 : cost(l, q.bits)), 0);
    const quantizedParams = layers.reduce((s, l) => s + l.params, 0);
    const fpBytes = structure.totalParams * 4;
    const layerBiases = new Set(layers.map((l) => l.bias));
    const halvedOther = (halfFloats as HalfFloats | null)?.rounded.filter((t) => !layerBiases.has(t.name)).reduce((s, t) => s + t.count, 0) ?? 0;
    const modelBytes = storedBits / 8 + (structure.totalParams - quantizedParams) * 4 - halvedOther * 2;
    const simulated = bits.every((b) => b >= 32) ? model : simulatedModel(model, layers, plan);
    return {
      plan,
      simulated,
      model,
      ...(quantizedScores && { scores: quantizedScores }),
      report: {
        settings,
        avgBits: storedBits / quantized.reduce((s, q) => s + q.storage.params, 0),
        modelBytes,
        fpBytes,
        layers: results,
        allocation: summaryOf(allocation as Allocation | null),
        timings: stages.timings,
        completed: stages.completed,
        cancelled,
        ...(failure ? { failed: { stage: failure.stage, message: failure.cause instanceof Error ? failure.cause.message : String(failure.cause) } } : {}),
        evaluation,
        reparameterized,
        ...(halfFloats ? { halfFloats: halfSummary(halfFloats) } : {}),
      },
    };
  }

  async function reparameterizeStage(): Promise<void> {
    stages.begin('reparameterize', inputs.calibration.length);
    let done = cache.reparameterized?.get(settings.seed);
    if (!done) {
      const sites = reparamSites(model);
      const ranges = await channelRanges(fp, sites, inputs.calibration, hooks.signal);
      done = { model: reparameterize(model, sites, ranges), norms: sites.map((s) => s.norm.name) };
      (cache.reparameterized ??= new Map()).set(settings.seed, done);
    }
    // Layers keep their node and tensor names; only initializer values change.
    model = done.model;
    reparameterized = done.norms;
    fp.dispose();
    fp = new GpuModel(ctx, model, OPS);
    stages.step(inputs.calibration.length, inputs.calibration.length);
    stages.end();
  }

  // After any reparameterisation (which changes these values): calibration, reconstruction, evaluation and the export use the float16-rounded model.
  function roundFloatParams(): void {
    const r = halfFloatModel(model);
    model = r.model;
    halfFloats = r;
    fp.dispose();
    fp = new GpuModel(ctx, model, OPS);
  }

  async function calibrateStage(): Promise<void> {
    stages.begin('calibrate', inputs.calibration.length);
    if (half && !halfFloats) roundFloatParams();
    calibration = cache.calibration?.get(variant) ?? null;
    if (!calibration) {
      calibration = await calibrate(fp, layers, inputs.calibration, {
        seed: settings.seed, signal: hooks.signal, onBatch: (d, t) => stages.step(d, t),
      });
      (cache.calibration ??= new Map()).set(variant, calibration);
    }
    if (settings.actBits !== null) {
      const actBits = settings.actBits;
      plan.activations = new Map([...calibration.ranges].map(([name, r]) => [name, r.params(actBits, settings.actRange)]));
    }
    stages.step(inputs.calibration.length, inputs.calibration.length);
    stages.end();
  }

  async function scoreStage(): Promise<void> {
    stages.begin('score', layers.length);
    layers.forEach((l, i) => {
      const layout = l.layout === 'KxN' ? 'KxN' : 'NxK';
      results[i].score = layerImportance(weightOf(l), layout, l.inFeatures, l.outFeatures, calibration!.energy.get(l.name)!);
      stages.step(i + 1, layers.length);
    });
    stages.end();
  }

  async function allocateStage(): Promise<void> {
    const tabulated = settings.method === 'defakeq' && (settings.error === 'measured' || settings.error === 'logits');
    const variants = settings.method === 'defakeq' && settings.error === 'logits' ? layers.length * settings.candidates.length * measuredRanges().length : 0;
    stages.begin('allocate', variants + 1);
    if (settings.method === 'defakeq') {
      const logits = settings.error === 'logits' ? await logitTable(variants) : undefined;
      const table = logits ?? (tabulated ? measuredTable() : undefined);
      allocation = allocateBits({
        layers: layers.map((l) => storageOf(l, settings.floatParams)), storage: storageOptions(settings.floatParams),
        cost: settings.storage === 'export' ? layerCostOf(model, layers, settings) : undefined, scores: results.map((r) => r.score), budget: settings.avgBits,
        candidates: settings.candidates, error: errorModel(settings.error, table),
      }, settings.solver);
      if (logits) allocation = await checkedAgainstUniform(allocation, logits);
      bits = allocation.bits;
      if (logits) bits.forEach((b, i) => (results[i].range = rangeAt(logits, i, b)));
    } else {
      const b = uniformBits(layers, settings.candidates, settings.avgBits, layerCostOf(model, layers, settings));
      bits = layers.map(() => b);
    }
    bits.forEach((b, i) => (results[i].bits = b));
    setPlan();
    stages.step(variants + 1, variants + 1);
    stages.end();
  }

  function measuredTable(): MeasuredErrorTable {
    const key = `${variant}:measured:${settings.candidates.join(',')}`;
    const cached = cache.measured?.get(key);
    if (cached) return cached;
    const table = measuredErrorTable(layers.map((l) => ({
      weight: weightOf(l), layout: l.layout === 'KxN' ? 'KxN' as const : 'NxK' as const,
      inFeatures: l.inFeatures, outFeatures: l.outFeatures,
      input: calibration!.inputs.get(l.name)!.data, rows: calibration!.inputs.get(l.name)!.rows,
    })), settings.candidates);
    (cache.measured ??= new Map()).set(key, table);
    return table;
  }

  /**
   * The table's sum assumes layers' errors add up. Checked jointly on the same images (activations
   * quantized as planned) against the widest uniform width at the same budget, the allocation
   * that moves the logits less is kept; the detail says which and by how much.
   */
  async function checkedAgainstUniform(mixed: Allocation, table: RangedErrorTable): Promise<Allocation> {
    const cost = layerCostOf(model, layers, settings);
    let width: number;
    try {
      width = uniformBits(layers, settings.candidates, settings.avgBits, cost);
    } catch {
      return mixed; // no uniform width fits: nothing to compare with
    }
    if (mixed.bits.every((b) => b === width)) return mixed;
    const images = errorImages();
    const simulate = (widths: readonly number[]) => simulatedModel(model, layers, {
      layers: new Map(layers.map((l, i) => [l.name, { bits: widths[i], range: rangeAt(table, i, widths[i]) }])), activations: plan.activations,
    });
    const [ours, uniform] = await jointLogitErrors(ctx, OPS, await floatLogits(), [simulate(mixed.bits), simulate(layers.map(() => width))], images);
    const measured = `jointly on ${images.count} images the logits move ${ours.toExponential(2)} at these widths, ${uniform.toExponential(2)} at uniform ${width} bits`;
    if (ours <= uniform) return { ...mixed, detail: `${mixed.detail}; ${measured}` };
    const column = table.candidates.indexOf(width);
    const params = layers.reduce((s, l) => s + l.inFeatures * l.outFeatures, 0);
    return {
      ...mixed,
      bits: layers.map(() => width),
      objective: table.errors.reduce((s, row) => s + row[column], 0),
      averageBits: layers.reduce((s, _, l) => s + cost(l, width), 0) / params,
      detail: `${mixed.detail}; ${measured}, so uniform ${width} bits is kept`,
    };
  }

  /** The float model's centred logits on the error images, computed once per run for every joint check. */
  async function floatLogits(): Promise<Float64Array> {
    floatReference ??= await centredLogits(ctx, OPS, model, errorImages());
    return floatReference;
  }

  function errorImages(): { pixels: Float32Array; count: number; dims: number[] } {
    const images = takeImages(inputs.calibration, settings.errorImages ?? 16);
    return { ...images, dims: [images.count, ...(model.graph.inputs[0].shape ?? []).slice(1).map(Number)] };
  }

  /** The weight ranges the logit table measures: both for 'auto', else the one asked for. */
  function measuredRanges(): WeightRange[] {
    return settings.weightRange === 'auto' ? ['minmax', 'mse'] : [settings.weightRange];
  }

  async function logitTable(variants: number): Promise<RangedErrorTable> {
    const images = errorImages();
    const tables: { range: WeightRange; table: MeasuredErrorTable }[] = [];
    for (const range of measuredRanges()) {
      const key = `${logitVariant}:logits:${settings.candidates.join(',')}:${range}:${images.count}`;
      const done = tables.length * layers.length * settings.candidates.length;
      let table = cache.measured?.get(key);
      if (!table) {
        table = await logitErrorTable(ctx, OPS, model, layers, images, settings.candidates, {
          range, signal: hooks.signal, onStep: (d) => stages.step(done + d, variants + 1),
        });
        (cache.measured ??= new Map()).set(key, table);
      }
      tables.push({ range, table });
    }
    return lowerErrors(tables);
  }

  /**
   * The block's learned rounding against nearest rounding, on the logits: the model with every
   * finished layer quantized as planned, once as learned and once with the block's layers at nearest
   * rounding. The block keeps whichever moves the logits less.
   */
  async function keepBetterRounding(block: number[], finished: ReadonlySet<number>): Promise<void> {
    if (block.length === 0) return;
    const upstream = layers.filter((_, i) => finished.has(i));
    const nearest: SimulationPlan = { ...plan, layers: new Map(plan.layers) };
    for (const i of block) nearest.layers.set(layers[i].name, { bits: bits[i], range: rangeOf(i) });
    const [learnedError, nearestError] = await jointLogitErrors(ctx, OPS, await floatLogits(), [simulatedModel(model, upstream, plan), simulatedModel(model, upstream, nearest)], errorImages());
    for (const i of block) {
      results[i].roundingCheck = { learned: learnedError, nearest: nearestError };
      if (learnedError <= nearestError) continue;
      plan.layers.set(layers[i].name, nearest.layers.get(layers[i].name)!);
      results[i].reconstructed = false;
      results[i].roundedUp = null;
      results[i].roundedDown = null;
    }
  }

  async function reconstructStage(): Promise<void> {
    if (!hooks.reconstruct) throw new Error(`method ${settings.method} needs a reconstructor for its learned rounding`);
    const reconstruct = hooks.reconstruct;
    const checkRounding = settings.method === 'defakeq' && settings.roundingCheck === true;
    stages.begin('reconstruct', layers.length);
    const images = takeImages(inputs.calibration, settings.reconImages);
    const input = model.graph.inputs[0].name;
    // Layers are reconstructed block by block; a block's inputs come from the model quantized so far
    // ('quantized') or from the float model ('fp').
    const groups = new Map<string, number[]>();
    layers.forEach((l, i) => groups.set(blockOf(l.name) || l.name, [...(groups.get(blockOf(l.name) || l.name) ?? []), i]));
    let done = 0;
    const finished = new Set<number>();
    const fromQuantized = settings.reconInputs === 'quantized';
    // Each block's inputs are computed from the previous block's, not from the pixels.
    const inputShape = model.graph.inputs[0].shape ?? [];
    const batch = { ...images, dims: [images.count, ...inputShape.slice(1).map(Number)] };
    const layerInputs = new QuantizedInputs(ctx, OPS, input, batch, { keepShared: fromQuantized });
    // The float model's inputs to each layer, for 'float' targets; its weights never change.
    const floatInputs = settings.reconTargets === 'float' && fromQuantized ? new QuantizedInputs(ctx, OPS, input, batch) : null;
    for (const members of groups.values()) {
      const current = fromQuantized && finished.size > 0 ? simulatedModel(model, layers.filter((_, i) => finished.has(i)), plan) : model;
      const taps = await layerInputs.taps(current, members.map((i) => layers[i].input));
      const floatTaps = floatInputs ? await floatInputs.taps(model, members.map((i) => layers[i].input)) : null;
      for (const i of members) {
        const l = layers[i];
        const weight = model.graph.initializers.get(l.weight)!;
        const params = weightParams(l, weight, bits[i], rangeOf(i));
        const rows = layerRows(l, weight.dims);
        if (!rows) {
          // A grouped or dilated Conv is not one matmul over unfolded patches: it keeps nearest rounding.
          plan.layers.set(l.name, { bits: bits[i], range: rangeOf(i), weight: fakeQuantWeight(l, weight, params) });
        } else {
          // Eq. 7, ||Wx - W~x||^2: the targets are the float weight on the same inputs as the rounding's,
          // unless they are the float model's own outputs.
          const x = rows(asDeployed(taps.get(l.input)!, plan.activations?.get(l.input)));
          // With float inputs the taps are already the float model's: its targets skip only the activation quantizer.
          const xTarget = settings.reconTargets === 'float' ? rows((floatTaps ?? taps).get(l.input)!) : x;
          const out = await reconstruct({
            layer: l, weight: weight.data as Float32Array, bits: bits[i], params, xIn: x, xFp: xTarget,
            iterations: settings.iters, seed: settings.seed + i, signal: hooks.signal,
          });
          const result = out instanceof Float32Array ? { weightQ: out, roundedUp: null, roundedDown: null } : out;
          plan.layers.set(l.name, { bits: bits[i], range: rangeOf(i), weight: result.weightQ });
          results[i].reconstructed = true;
          results[i].roundedUp = result.roundedUp;
          results[i].roundedDown = result.roundedDown;
          // Kept even where it is above nearest's: on the face detector, reverting such a layer moved the logits more.
          if ('loss' in result && result.loss) results[i].reconstructionLoss = result.loss;
        }
        finished.add(i);
        stages.step(++done, layers.length);
      }
      if (checkRounding) await keepBetterRounding(members.filter((i) => results[i].reconstructed), finished);
      if (fromQuantized) layerInputs.invalidate(current, members.map((i) => layers[i].node));
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
        const a = cache.fpScores ?? (await baselineScores(inputs.evaluation));
        cache.fpScores = a;
        stages.step(1 + inputs.evaluation.length, total);
        const b = await score(q, inputs.evaluation, inputs.fakeIndex, hooks.signal);
        quantizedScores = b;
        const strip = ({ logits: _l, ...rest }: Scores) => rest;
        evaluation = { fp: strip(a), quantized: strip(b), agreement: agreement(a.logits, b.logits), aucChange: pairedAucChange(b, a, inputs.evaluation, inputs.fakeIndex), fakeIndex: inputs.fakeIndex ?? DEFAULT_FAKE_INDEX };
      }
      stages.step(total, total);
    } finally {
      q.dispose();
    }
    stages.end();
  }

  /** The FP baseline's scores: the input model's (the same function as a reparameterised one), never the rounded one's. */
  async function baselineScores(evaluation: LabelledBatch[]): Promise<Scores> {
    if (!half) return score(fp, evaluation, inputs.fakeIndex, hooks.signal);
    const baseline = new GpuModel(ctx, original, OPS);
    try {
      return await score(baseline, evaluation, inputs.fakeIndex, hooks.signal);
    } finally {
      baseline.dispose();
    }
  }
}

function halfSummary(h: HalfFloats): NonNullable<QuantizeReport['halfFloats']> {
  return { tensors: h.rounded.length, values: h.rounded.reduce((s, t) => s + t.count, 0), kept: h.kept };
}

function summaryOf(a: Allocation | null): QuantizeReport['allocation'] {
  return a && { objective: a.objective, averageBits: a.averageBits, solver: a.solver, error: a.error, detail: a.detail };
}

/**
 * A layer's input as the quantized model computes with it: through its activation quantizer when it
 * has one. The rounding is learned on what the layer will see, not on the float tap before it.
 */
function asDeployed(tap: HostTensor, act: QuantParams | undefined): HostTensor {
  return act ? { ...tap, data: fakeQuantActivations(tap.data as Float32Array, act) } : tap;
}

/**
 * A layer's input as matmul rows [rows, inFeatures]: as it is for MatMul/Gemm, unfolded into
 * patches for a Conv (its weight, out x in·kh·kw, is then the matmul's N x K). Undefined for a
 * grouped or dilated Conv, which is not a single such product.
 */
function layerRows(layer: QuantLayer, weightDims: readonly number[]): ((t: HostTensor) => { rows: number; data: Float32Array }) | undefined {
  if (layer.kind !== 'conv') return (t) => ({ rows: t.data.length / layer.inFeatures, data: t.data as Float32Array });
  const ints = (name: string) => {
    const a = layer.node.attrs[name];
    return a?.type === 'ints' ? a.value : a?.type === 'int' ? [a.value] : undefined;
  };
  const group = ints('group')?.[0] ?? 1;
  const dilated = (ints('dilations') ?? []).some((d) => d !== 1);
  const autoPad = layer.node.attrs.auto_pad;
  const padded = autoPad?.type === 'string' && autoPad.value !== 'NOTSET';
  if (group !== 1 || dilated || padded || weightDims.length !== 4) return undefined;
  return (t) => unfoldPatches(t.data as Float32Array, t.dims, layer, [...weightDims]);
}
