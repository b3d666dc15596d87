/** What a caller hands the pipeline: its images, a cache shared across runs, and its hooks. */
import type { QuantLayer } from '../../model/layers.ts';
import type { Model } from '../../onnx/ir.ts';
import type { CalibrationResult } from '../calibrate.ts';
import type { MeasuredErrorTable } from '../error-models.ts';
import type { LabelledBatch, Scores } from '../evaluate.ts';
import type { QuantParams } from '../quantizer.ts';
import type { LayerLoss, ProgressEvent } from '../report.ts';

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
