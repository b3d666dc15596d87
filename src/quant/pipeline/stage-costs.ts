import type { QuantLayer } from '../../model/layers.ts';
import { modelCost, type ModelCost } from '../../model/flops.ts';
import type { Model } from '../../onnx/ir.ts';
import { onnxOps } from '../../onnx/ops/index.ts';
import { DEFAULT_SETTINGS as ADAROUND } from '../reconstruction/adaround/settings.ts';
import { quantReferenceOps } from '../simulation/fake-quant-op.ts';
import { gateRuns } from '../veft/gate.ts';

/**
 * What the expensive stages of a run cost, priced before the run in floating-point operations
 * from the model's cost (model/flops.ts), and the settings scaled down so no stage exceeds a
 * budget. docs/large-models.md has the measured costs these formulas were checked against.
 *
 * - allocate, 'logits' error model: every (layer, width, weight range) variant runs the nodes
 *   from its layer to the outputs on the error images, plus the float reference and the joint
 *   check of the allocation against uniform widths (three whole-model runs of the images); with
 *   VEFT's measured activations, the gate's runs instead (stages/veft-gate.ts: at most one per
 *   activation read by a MatMul/Gemm layer, plus a few).
 * - reconstruct: per layer, each AdaRound iteration costs about 4·B·N·K (rounded weight, forward
 *   and gradient on a minibatch of B rows), plus 6·R·N·K on all R rows (targets, and the loss
 *   before and after); gathering the inputs runs the model about twice on the images.
 * - veft: each tuning step of all blocks about 24 forward passes of an image (veftCost).
 */
export interface StageSettings {
  method: 'defakeq' | 'adaround' | 'rtn';
  error: string;
  weightRange: string;
  candidates: readonly number[];
  errorImages?: number;
  iters: number;
  reconImages: number;
  veft?: boolean;
  veftEpochs?: number;
  veftChannels?: string;
}

export interface StageCosts {
  calibrate: number;
  allocate: number;
  reconstruct: number;
  veft: number;
  evaluate: number;
}

/** Rows of a minibatch (AdaRound's setting): each iteration's cost grows with it. */
const BATCH_ROWS = ADAROUND.batchRows;

/** Whole-model runs of the error images besides the table's: the float reference and the joint checks. */
export function jointRuns(layers: readonly QuantLayer[], s: Pick<StageSettings, 'method' | 'veft' | 'veftChannels'>): number {
  if (s.method !== 'defakeq' || !s.veft || (s.veftChannels ?? 'every') !== 'measured') return 3;
  return 1 + gateRuns(new Set(layers.filter((l) => l.kind !== 'conv').map((l) => l.input)).size);
}

export function logitTableCost(cost: ModelCost, s: Pick<StageSettings, 'candidates' | 'weightRange'>, images: number, runs = 3): number {
  const ranges = s.weightRange === 'auto' ? 2 : 1;
  const downstream = [...cost.layers.values()].reduce((sum, l) => sum + l.downstream, 0);
  return images * (ranges * s.candidates.length * downstream + runs * cost.perImage);
}

export function reconstructionCost(cost: ModelCost, layers: readonly QuantLayer[], iters: number, images: number): number {
  if (iters <= 0) return 0;
  let total = 2 * images * cost.perImage;
  for (const l of layers) {
    const rows = images * (cost.layers.get(l.name)?.rows ?? 0);
    const nk = l.inFeatures * l.outFeatures;
    total += iters * 4 * Math.min(BATCH_ROWS, rows) * nk + 6 * rows * nk;
  }
  return total;
}

/** Whole images in one VEFT step's minibatch (block reconstruction's default, reconstruction/block). */
const VEFT_STEP_IMAGES = 8;

/**
 * VEFT's tuning: a step runs its block forward and backward (about three passes of its matmuls)
 * on VEFT_STEP_IMAGES whole images, so one step of every block costs about 3·8 forward passes of
 * an image. (Priced as reconstruction iterations before, it ran 4.8 times longer per priced FLOP
 * than the reconstruct stage on the d192 detector, docs/veft.md.)
 */
export function veftCost(cost: ModelCost, steps: number): number {
  return steps * 3 * VEFT_STEP_IMAGES * cost.perImage;
}

/** The stages' costs at these settings, `calibration` and `evaluation` images given. */
export function stageCosts(cost: ModelCost, layers: readonly QuantLayer[], s: StageSettings, images: { calibration: number; evaluation: number; sqnr: number }): StageCosts {
  return {
    calibrate: images.calibration * cost.perImage,
    allocate: s.method === 'defakeq' && s.error === 'logits' ? logitTableCost(cost, s, s.errorImages ?? 16, jointRuns(layers, s)) : 0,
    reconstruct: s.method === 'rtn' ? 0 : reconstructionCost(cost, layers, s.iters, s.reconImages),
    veft: s.method === 'defakeq' && s.veft ? veftCost(cost, s.veftEpochs ?? 0) : 0,
    evaluate: 2 * (images.sqnr + images.evaluation) * cost.perImage,
  };
}

/**
 * Floating-point operations any one of these stages may cost with the default settings. It is what
 * the defaults cost on the face detector the figures in the README were measured on (0.5 M
 * parameters at 128 px: about 150 GFLOP each), so models up to that size run exactly as before;
 * larger ones get the scaled settings below. On a software adapter at 0.15 GFLOP/s that is about
 * half an hour a stage; on a desktop GPU, seconds.
 */
export const DEFAULT_STAGE_BUDGET = 250e9;
/** Fewer logit-error images than this measure too little: the allocation falls back to a model without images. */
export const MIN_ERROR_IMAGES = 4;
/** Fewer AdaRound iterations than this barely move the rounding from nearest: the stage is skipped. */
export const MIN_ITERATIONS = 50;

export interface ScaledSetting {
  setting: 'errorImages' | 'weightRange' | 'error' | 'reconImages' | 'iters' | 'veftEpochs';
  from: number | string;
  to: number | string;
}

/**
 * The settings with the expensive stages brought within `budget` FLOPs each, and what changed.
 * The order is documented in docs/large-models.md: the logit table first measures on fewer images
 * (down to MIN_ERROR_IMAGES), then with one weight range, then gives way to the 'diagonal' error
 * model (no model runs); reconstruction first runs fewer iterations (down to MIN_ITERATIONS), then
 * learns from fewer images (down to the fewest that still fill a minibatch), and when even that does
 * not fit, keeps nearest rounding.
 */
export function withinBudget<S extends StageSettings>(cost: ModelCost, layers: readonly QuantLayer[], settings: S, budget: number): { settings: S; scaled: ScaledSetting[] } {
  const out = { ...settings };
  const scaled: ScaledSetting[] = [];
  const change = <K extends ScaledSetting['setting']>(setting: K, to: S[K] & (number | string)) => {
    scaled.push({ setting, from: out[setting] as number | string, to });
    out[setting] = to;
  };
  if (out.method === 'defakeq' && out.error === 'logits') {
    const images = out.errorImages ?? 16;
    const fit = (range: string) => Math.floor(budget / logitTableCost(cost, { candidates: out.candidates, weightRange: range }, 1, jointRuns(layers, out)));
    if (fit(out.weightRange) < images) {
      if (fit(out.weightRange) >= MIN_ERROR_IMAGES) change('errorImages', fit(out.weightRange) as S['errorImages'] & number);
      else if (out.weightRange === 'auto' && fit('minmax') >= MIN_ERROR_IMAGES) {
        change('weightRange', 'minmax' as S['weightRange'] & string);
        if (fit('minmax') < images) change('errorImages', fit('minmax') as S['errorImages'] & number);
      } else change('error', 'diagonal' as S['error'] & string);
    }
  }
  if (out.method !== 'rtn' && out.iters > 0 && reconstructionCost(cost, layers, out.iters, out.reconImages) > budget) {
    // Iterations the budget affords on `images` images.
    const affordable = (images: number) => {
      const one = reconstructionCost(cost, layers, 1, images);
      const perIteration = reconstructionCost(cost, layers, 2, images) - one;
      return Math.floor((budget - (one - perIteration)) / perIteration);
    };
    const perImage = Math.min(...layers.map((l) => cost.layers.get(l.name)?.rows ?? Infinity).filter((r) => r > 0));
    const fewest = Math.min(out.reconImages, Math.max(1, Math.ceil(BATCH_ROWS / perImage)));
    let images = out.reconImages;
    while (images > fewest && affordable(images) < MIN_ITERATIONS) images = Math.max(fewest, Math.floor(images / 2));
    if (images !== out.reconImages) change('reconImages', images as S['reconImages'] & number);
    const iters = affordable(images);
    change('iters', (iters >= MIN_ITERATIONS ? Math.min(iters, out.iters) : 0) as S['iters'] & number);
  }
  // VEFT runs the steps the budget affords; with none, its channels are restored untuned.
  const veftSteps = out.veftEpochs ?? 0;
  if (out.method === 'defakeq' && out.veft && veftSteps > 0 && veftCost(cost, veftSteps) > budget) {
    change('veftEpochs', Math.floor(budget / veftCost(cost, 1)) as S['veftEpochs'] & number);
  }
  return { settings: out, scaled };
}

/** What a report says about the run's cost: the budget, each stage's price at the settings run, and what was scaled. */
export interface BudgetReport {
  /** FLOPs per stage; null when unlimited. */
  stageBudget: number | null;
  /** Each stage's price (FLOPs) at the settings the run used; null when the model could not be priced. */
  costs: StageCosts | null;
  scaled: ScaledSetting[];
  /** A whole forward pass of one image (FLOPs). */
  perImage: number | null;
  /** Images of the first calibration batch the layer SQNR runs both models on (all of them within the budget). */
  sqnrImages: number;
}

/**
 * `settings` within the run's budget (QuantizeSettings.computeBudget: GFLOP per stage, absent for
 * the default, null for none), with the report of it. A model the cost model cannot price runs as asked.
 */
export function budgeted<S extends StageSettings & { computeBudget?: number | null }>(
  model: Model, layers: readonly QuantLayer[], settings: S, images: { calibration: number; evaluation: number; sqnr: number },
): { settings: S; report: BudgetReport } {
  const stageBudget = settings.computeBudget === null ? null : (settings.computeBudget ?? DEFAULT_STAGE_BUDGET / 1e9) * 1e9;
  let cost: ModelCost;
  try {
    cost = modelCost(model, layers, { ...onnxOps, ...quantReferenceOps });
  } catch {
    return { settings, report: { stageBudget, costs: null, scaled: [], perImage: null, sqnrImages: images.sqnr } };
  }
  const scaled = stageBudget === null ? { settings, scaled: [] } : withinBudget(cost, layers, settings, stageBudget);
  // The SQNR runs the float and quantized models together, and a few images tell a layer's dB as
  // well as many: it gets a quarter of a stage's budget, and at least one image.
  const sqnrImages = stageBudget === null ? images.sqnr : Math.max(1, Math.min(images.sqnr, Math.floor(stageBudget / (8 * cost.perImage))));
  const costs = stageCosts(cost, layers, scaled.settings, { ...images, sqnr: sqnrImages });
  return { settings: scaled.settings, report: { stageBudget, costs, scaled: scaled.scaled, perImage: cost.perImage, sqnrImages } };
}
