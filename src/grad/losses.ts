import type { GpuTensor } from '../engine/gpu-tensor.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { CommandBatch } from '../gpu/encoder.ts';
import { recordMseGrad, recordMseLoss } from './kernels.ts';

/** Per-image data a loss term needs besides the region's values (targets, anchors): first axis = images. */
export interface ImageData {
  dims: number[];
  data: Float32Array;
}

export interface LossStep {
  /** The forward values of the term's `values`, for this step's images. */
  values: GpuTensor[];
  /** The term's `data`, gathered for this step's images. */
  data: GpuTensor[];
  /** Where to write d(weight·term)/d(value) for each value (fresh buffers in the values' dims; overwrite them). */
  grads: GpuTensor[];
  /** 0-based step and the number of steps (for schedules such as VEFT's w(t) = t/T). */
  t: number;
  total: number;
  /** When given, write weight·term there (this step's value is recorded). */
  loss: { buffer: GPUBuffer; slot: number } | null;
}

/**
 * One term of an optimised loss over a region's values, recorded on the GPU at each step with no
 * readback: the block reconstruction's squared error, VEFT's contrastive term. The terms' gradients
 * add up into the seeds of the backward pass.
 */
export interface LossTerm {
  readonly name: string;
  /** Region values the term reads: outputs, or features kept with RegionSpec.keep. */
  readonly values: readonly string[];
  readonly data: readonly ImageData[];
  /** Its weight in the total loss (γ). */
  readonly weight: number;
  record(ctx: GpuContext, cmd: CommandBatch, step: LossStep): void;
}

/** Rows of a value: every axis but the last (tokens of every image). */
export const rowsOf = (dims: readonly number[]) => dims.slice(0, -1).reduce((a, b) => a * b, 1);

/**
 * weight · (1/rows) Σ (y − t)² over a value of [images, ..., channels]: squared error summed over
 * channels and averaged over rows (every token of every image), as AdaRound's layer loss is over
 * the rows of a layer.
 */
export function squaredErrorTerm(value: string, targets: ImageData, weight = 1): LossTerm {
  return {
    name: 'reconstruction', values: [value], data: [targets], weight,
    record(ctx, cmd, { values: [y], data: [t], grads: [g], loss }) {
      const scale = weight / rowsOf(y.dims);
      recordMseGrad(ctx, cmd, y, t, g, scale);
      if (loss) recordMseLoss(ctx, cmd, y, t, loss.buffer, { slot: loss.slot, scale, accumulate: false });
    },
  };
}

/** The float64 twin of squaredErrorTerm's value and gradient. */
export function squaredErrorReference(y: ArrayLike<number>, t: ArrayLike<number>, dims: readonly number[], weight = 1): { loss: number; grad: Float64Array } {
  const scale = weight / rowsOf(dims);
  const grad = new Float64Array(y.length);
  let loss = 0;
  for (let i = 0; i < y.length; i++) {
    const d = y[i] - t[i];
    loss += d * d;
    grad[i] = 2 * scale * d;
  }
  return { loss: scale * loss, grad };
}
