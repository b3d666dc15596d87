/**
 * The state of one quantization run, which the stages read and write in turn: the float model
 * (reparameterised and/or float16-rounded by the early stages), the layers and their results, the
 * simulation plan, the calibration, allocation and evaluation.
 */
import { GpuModel } from '../../engine/session.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { QuantLayer } from '../../model/layers.ts';
import { analyzeModel, type ModelStructure } from '../../model/summary.ts';
import type { Model } from '../../onnx/ir.ts';
import { valuesOnce } from '../../onnx/lazy-tensor.ts';
import type { Allocation } from '../allocation/problem.ts';
import type { CalibrationResult } from '../calibration/calibrate.ts';
import type { Scores } from '../evaluation/evaluate.ts';
import { quantGpuOps, quantReferenceOps } from '../simulation/fake-quant-op.ts';
import type { HalfFloats } from '../simulation/half-floats.ts';
import { centredLogits } from '../allocation/logit-errors.ts';
import type { LayerResult, QuantizeReport, VeftGateReport, VeftReport } from '../report.ts';
import { takeImages } from '../calibration/sample-images.ts';
import type { QuantizeSettings } from '../settings.ts';
import type { SimulationPlan } from '../simulation/simulate.ts';
import { fixedRange } from '../allocation/weight-ranges.ts';
import type { QuantizeCache, QuantizeInputs } from './types.ts';
import type { BudgetReport } from './stage-costs.ts';

/** The fake-quantization ops the pipeline's models run with, on the CPU reference and the GPU. */
export const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };

export interface RunState {
  readonly settings: QuantizeSettings;
  readonly inputs: QuantizeInputs;
  readonly cache: QuantizeCache;
  /** The input model: the FP baseline the evaluation compares with. */
  readonly original: Model;
  readonly structure: ModelStructure;
  /** The layers quantized, in graph order; every per-layer array follows it. */
  readonly layers: readonly QuantLayer[];
  readonly results: LayerResult[];
  /** The float model quantized: the input model, or its reparameterised and/or float16-rounded equivalent. */
  model: Model;
  /** `model` on the GPU. */
  fp: GpuModel;
  plan: SimulationPlan;
  /** Per-layer widths once allocated (empty before). */
  bits: number[];
  calibration: CalibrationResult | null;
  allocation: Allocation | null;
  evaluation: QuantizeReport['evaluation'];
  quantizedScores?: Scores;
  /** With floatParams 'fp16', once rounded. */
  halfFloats: HalfFloats | null;
  /** LayerNorms whose channels were reparameterised. */
  reparameterized: string[];
  /** The float model's centred logits on the error images, once computed. */
  floatReference: Float64Array | null;
  /** What the 'veft' stage did, once it ran. */
  veft: VeftReport | null;
  /** VEFT's measured activations, once the allocation gated them. */
  veftGate?: VeftGateReport;
  /** Per layer, the input channels VEFT keeps in float, as the allocation priced them (zeros without). */
  restoredCounts: number[];
  /** Cache keys: what cached work depends on besides the model and the images. */
  readonly keys: { variant: string; logitVariant: string };
  /** The stages' prices and the settings the stage budget scaled (`settings` already holds them). */
  readonly budget: BudgetReport;
}

export function createRunState(ctx: GpuContext, model: Model, inputs: QuantizeInputs, settings: QuantizeSettings, budget: BudgetReport): RunState {
  const structure = analyzeModel(model);
  const layers = structure.layers.filter((l) => model.graph.initializers.has(l.weight));
  if (layers.length === 0) throw new Error('the model has no layer with a constant weight to quantize');
  const reparam = reparameterizes(settings);
  const half = settings.floatParams === 'fp16';
  const variant = `${settings.seed}:${reparam ? 'reparam' : 'plain'}${half ? ':fp16' : ''}`;
  return {
    settings, inputs, cache: inputs.cache ?? {}, original: model, structure, layers, model, fp: new GpuModel(ctx, model, OPS),
    results: layers.map((l) => ({
      name: l.name, op: l.kind, bits: 32, params: l.params, score: 0, sqnr: null, reconstructed: false, range: fixedRange(settings.weightRange), roundedUp: null, roundedDown: null,
    })),
    plan: { layers: new Map() }, bits: [], calibration: null, allocation: null, evaluation: null, halfFloats: null, reparameterized: [], floatReference: null, veft: null, restoredCounts: layers.map(() => 0),
    // The logit table runs the float model on fixed images: the seed matters only through a reparameterisation's sampled ranges.
    keys: { variant, logitVariant: reparam ? variant : half ? 'fp16' : 'fp32' },
    budget,
  };
}

/** Whether the run reparameterises post-LayerNorm channels (only with quantized activations). */
export const reparameterizes = (settings: QuantizeSettings) => settings.actReparam === true && settings.actBits !== null;

/** Replaces the float model (same function, other values) and its GPU copy. */
export function replaceFloatModel(state: RunState, ctx: GpuContext, model: Model): void {
  state.model = model;
  state.fp.dispose();
  state.fp = new GpuModel(ctx, model, OPS);
}

/** A layer's float weight, read for one pass (not kept in the lazily read tensors' cache, lazy-tensor.ts). */
export const weightOf = (state: RunState, l: QuantLayer) => valuesOnce(state.model.graph.initializers.get(l.weight)!) as Float32Array;

/** The plan's layers at the allocated widths and ranges, keeping any learned weight. */
export function setPlanWidths(state: RunState): void {
  const { plan, layers, bits, results } = state;
  plan.layers = new Map(layers.map((l, i) => [l.name, { bits: bits[i], range: results[i].range, weight: plan.layers.get(l.name)?.weight }]));
}

/** The calibration images the logit measurements run on. */
export function errorImages(state: RunState): { pixels: Float32Array; count: number; dims: number[] } {
  const images = takeImages(state.inputs.calibration, state.settings.errorImages ?? 16);
  return { ...images, dims: [images.count, ...(state.model.graph.inputs[0].shape ?? []).slice(1).map(Number)] };
}

/** The float model's centred logits on the error images, computed once per run for every joint check. */
export async function floatLogits(state: RunState, ctx: GpuContext): Promise<Float64Array> {
  state.floatReference ??= await centredLogits(ctx, OPS, state.model, errorImages(state));
  return state.floatReference;
}
