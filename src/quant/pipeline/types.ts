/** What a caller hands the pipeline: its images, a cache shared across runs, and its hooks. */
import type { Model } from '../../onnx/ir.ts';
import type { CalibrationResult } from '../calibration/calibrate.ts';
import type { MeasuredErrorTable } from '../allocation/error-models.ts';
import type { LabelledBatch, Scores } from '../evaluation/evaluate.ts';
import type { ProgressEvent } from '../report.ts';
import type { Reconstructor } from '../reconstruction/types.ts';

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
