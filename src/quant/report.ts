/**
 * What a quantization run reports: per layer, the allocation, the timings of its stages and the
 * evaluation. Types only (and the stage names), so the UI thread can import it without the engine.
 */
import type { AucDifference } from '../data/metrics.ts';
import type { Model } from '../onnx/ir.ts';
import type { Allocation } from './allocation/problem.ts';
import type { Scores } from './evaluation/evaluate.ts';
import type { QuantizeSettings } from './settings.ts';
import type { SimulationPlan, WeightRange } from './simulation/simulate.ts';
import type { BudgetReport } from './pipeline/stage-costs.ts';

/**
 * The stages in the order they run: the only place that orders them. The runner runs the stage
 * modules in this order (quant/pipeline/stages/index.ts) and the UI lists it. A new stage (e.g.
 * 'veft' after 'reconstruct') is one more name here and one more module there.
 */
export const STAGES = ['reparameterize', 'calibrate', 'score', 'allocate', 'reconstruct', 'veft', 'evaluate'] as const;
export type StageName = (typeof STAGES)[number];

export interface ProgressEvent {
  stage: StageName;
  step: number;
  total: number;
  etaSeconds: number | null;
  /** The losses the stage recorded since its previous event (VEFT streams its loss curve this way). */
  losses?: VeftLossPoint[];
}

export interface LayerLoss {
  nearest: number;
  learned: number;
}

export interface LayerResult {
  name: string;
  op: string;
  bits: number;
  params: number;
  score: number;
  sqnr: number | null;
  reconstructed: boolean;
  /** The weight range the layer's scales and zero points come from. */
  range: WeightRange;
  /**
   * The rounding check of the layer's block (DeFakeQ): the mean squared change of the logits with
   * the block's learned rounding and with nearest rounding; `reconstructed` says which was kept.
   */
  roundingCheck?: { learned: number; nearest: number };
  /** Codes the learned rounding put above / below round-to-nearest's; null where the layer kept nearest rounding. */
  roundedUp: number | null;
  roundedDown: number | null;
  /**
   * Eq. 7's reconstruction error of the layer with nearest and with learned rounding; absent where no
   * rounding was learned. The learned rounding is kept either way (a rounding check aside).
   */
  reconstructionLoss?: LayerLoss;
  /**
   * Block reconstruction (recon 'block'): the error (1/rows)·Σ(y − target)² of the layer's whole
   * block output over its images, with nearest and with the learned rounding (the same for every
   * layer of the block).
   */
  blockLoss?: LayerLoss;
  /** VEFT: input channels of the layer kept in float in the exported file (absent: none). */
  restoredChannels?: number;
}

/** One recorded step of a block's VEFT tuning: each weighted loss term (reconstruction, contrastive). */
export interface VeftLossPoint {
  block: string;
  iteration: number;
  terms: Record<string, number>;
}

/** What VEFT did (paper section 4.2, docs/veft.md). */
export interface VeftReport {
  /** rho: the fraction of each block activation's channels kept in float. */
  fraction: number;
  /** Input channels kept in float in the exported file, summed over the layers reading them. */
  restoredChannels: number;
  /** The restored channels by activation tensor. */
  tensors: { tensor: string; channels: number[] }[];
  /** The tuning's recorded losses, block after block. */
  lossCurve: VeftLossPoint[];
  /**
   * Per tuned block: the block output error (1/rows)·Σ(y − float)² with the restored channels,
   * before tuning (the reconstructed rounding) and after.
   */
  blocks: { block: string; before: number; after: number; kept: 'tuned' | 'reconstructed' }[];
  /** L_hor, the allocation's objective: constant while the rounding is tuned (no gradient). */
  horizontal: number | null;
}

/**
 * VEFT's measured activations (allocate stage, docs/veft.md): each block activation's benefit,
 * and every candidate measured jointly on the error images; `kept` indexes `candidates`.
 */
export interface VeftGateReport {
  /**
   * How each activation's benefit was measured: the rise of the logit error when its channels alone
   * are left out of the allocation restoring every activation's, at that allocation's widths; or,
   * when every activation's columns do not fit, its fall when they alone are restored at the
   * widths without columns.
   */
  benefit: 'left out of every activation' | 'restored alone';
  activations: { tensor: string; benefit: number; cost: number }[];
  candidates: { label: string; restoring: string[]; averageBits: number; logitError: number }[];
  kept: number;
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
  /** A run that failed after finishing some stages: where and why. Its report and model hold what finished. */
  failed?: { stage: StageName; message: string };
  evaluation: {
    fp: Omit<Scores, 'logits'>;
    quantized: Omit<Scores, 'logits'>;
    agreement: number;
    /**
     * Quantized AUC minus FP's on the same images, with its paired (DeLong) standard error: whether
     * a change is more than chance on this set. Null with fewer than two images of a class.
     */
    aucChange: AucDifference | null;
    /** The class whose probability was scored as "fake". */
    fakeIndex: number;
  } | null;
  /** LayerNorms whose output channels were reparameterised (empty unless actReparam). */
  reparameterized: string[];
  /** VEFT's restored channels and tuning (DeFakeQ with veft on, once its stage ran). */
  veft?: VeftReport;
  /** VEFT's measured activations, when the allocation gated them. */
  veftGate?: VeftGateReport;
  /** With floatParams 'fp16': the float tensors rounded to float16, and those kept in float32 (beyond its range). */
  halfFloats?: { tensors: number; values: number; kept: string[] };
  /** Each stage's price before the run, the budget, and the settings scaled to fit it (`settings` holds the scaled values). */
  budget?: BudgetReport;
}

export interface QuantizeResult {
  report: QuantizeReport;
  /**
   * The float model the plan's weights and the simulated model belong to: the input model, or its
   * reparameterised equivalent (same function, other LayerNorm and weight values) with actReparam.
   */
  model: Model;
  plan: SimulationPlan;
  /** The simulated quantized model (fake-quant weights and activations), runnable by GpuModel. */
  simulated: Model;
  /** The simulated model's scores on the evaluation set, logits included (the report keeps only the figures); absent without one. */
  scores?: Scores;
}

