/** The pipeline's interface to learned rounding: one layer's job and what comes back. */
import type { QuantLayer } from '../../model/layers.ts';
import type { LayerLoss } from '../report.ts';
import type { QuantParams } from '../simulation/quantizer.ts';

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
