import source from '../../shaders/grad_contrastive.wgsl?raw';
import type { GpuTensor } from '../engine/gpu-tensor.ts';
import { elementCount, linearGrid, offsetOf, UniformWriter } from '../engine/kernels/dispatch.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { CommandBatch } from '../gpu/encoder.ts';
import type { ImageData, LossTerm } from './losses.ts';

/**
 * VEFT's contrastive term (paper eq. 9) over per-image features: the anchor is the float model's
 * feature, the positive the blend C = w·P2 + (1 − w)·P1 of the mixed-precision (P2) and the
 * all-integer (P1) model's features, and the negatives are the other images' blends in the batch;
 * similarity is the cosine over a temperature τ:
 *   L = (1/B) Σ_b −log( exp(cos(A_b, C_b)/τ) / Σ_k exp(cos(A_b, C_k)/τ) ).
 * Each image's feature is all its values (e.g. a block output's tokens × channels).
 */

export interface ContrastiveInputs {
  /** [B, D] each (any dims whose first axis is the image). */
  anchors: ArrayLike<number>;
  pos1: ArrayLike<number>;
  pos2: ArrayLike<number>;
  B: number;
  D: number;
  tau: number;
  /** The blend weight of P2, w(t) = t/T. */
  w: number;
}

/** The float64 loss and its gradients with respect to P1 and P2. */
export function contrastiveReference(x: ContrastiveInputs): { loss: number; d1: Float64Array; d2: Float64Array } {
  const { B, D, tau, w } = x;
  const c = Float64Array.from({ length: B * D }, (_, i) => w * x.pos2[i] + (1 - w) * x.pos1[i]);
  const norm = (v: ArrayLike<number>, k: number) => Math.sqrt(Array.from({ length: D }, (_, d) => v[k * D + d] ** 2).reduce((s, q) => s + q, 0));
  const na = Array.from({ length: B }, (_, b) => norm(x.anchors, b));
  const nc = Array.from({ length: B }, (_, k) => norm(c, k));
  const s = new Float64Array(B * B);
  for (let b = 0; b < B; b++) for (let k = 0; k < B; k++) {
    let dot = 0;
    for (let d = 0; d < D; d++) dot += x.anchors[b * D + d] * c[k * D + d];
    s[b * B + k] = dot / (na[b] * nc[k]);
  }
  const G = new Float64Array(B * B);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const row = Array.from({ length: B }, (_, k) => s[b * B + k] / tau);
    const m = Math.max(...row);
    const sum = row.reduce((acc, z) => acc + Math.exp(z - m), 0);
    loss += m + Math.log(sum) - row[b];
    row.forEach((z, k) => (G[b * B + k] = (Math.exp(z - m) / sum - (k === b ? 1 : 0)) / B));
  }
  const dc = new Float64Array(B * D);
  for (let k = 0; k < B; k++) for (let d = 0; d < D; d++) {
    let sum = 0;
    for (let b = 0; b < B; b++) sum += G[b * B + k] * (x.anchors[b * D + d] / na[b] - (s[b * B + k] * c[k * D + d]) / nc[k]);
    dc[k * D + d] = sum / (tau * nc[k]);
  }
  return { loss: loss / B, d1: dc.map((g) => (1 - w) * g), d2: dc.map((g) => w * g) };
}

/**
 * Record the loss (scale·L into loss[slot]) and the gradients d(scale·L)/dP1, /dP2. `scratch` holds
 * 3B² + 2B floats.
 */
export function recordContrastive(
  ctx: GpuContext, cmd: CommandBatch,
  t: { anchors: GpuTensor; pos1: GpuTensor; pos2: GpuTensor; d1: GpuTensor; d2: GpuTensor; scratch: GPUBuffer; loss: GPUBuffer; slot: number },
  p: { tau: number; w: number; scale: number },
): void {
  if ([t.anchors, t.pos1, t.pos2, t.d1, t.d2].some((x) => offsetOf(x) !== 0)) throw new RangeError('contrastive loss: an operand is an offset view');
  const B = t.pos1.dims[0];
  const D = elementCount(t.pos1.dims) / B;
  if (elementCount(t.anchors.dims) !== B * D || elementCount(t.pos2.dims) !== B * D) throw new RangeError(`contrastive loss: anchors and positives must all be [${B}, ${D}]`);
  const grid = linearGrid(B * D, 64);
  const uniforms = new UniformWriter(32).u32(B).u32(D).u32(grid.rowStride).u32(t.slot).f32(p.tau).f32(p.w).f32(p.scale).f32(0).bytes;
  const buffers = [t.anchors.buffer, t.pos1.buffer, t.pos2.buffer, t.scratch, t.d1.buffer, t.d2.buffer, t.loss];
  const pass = (mode: number, workgroups: [number, number?]) =>
    cmd.dispatch({ pipeline: ctx.pipelines.get(source, 'main', { MODE: mode, WG: 64 }), uniforms, buffers, workgroups, label: `contrastive-${mode}` });
  pass(0, [B, B + 2]);
  pass(1, [1]);
  pass(2, grid.workgroups);
}

export interface ContrastiveOptions {
  /** The all-integer model's feature (P1) and the mixed-precision model's (P2): region values, [images, ...]. */
  pos1: string;
  pos2: string;
  /** The float model's features for every image (the anchors), [images, ...]. */
  anchors: ImageData;
  /** Temperature τ. */
  tau: number;
  /** γ2 in the total loss (paper eq. 10: 0.5). */
  weight: number;
}

/** VEFT's L_ver as a loss term of the block reconstruction, with the progressive blend w(t) = t/T. */
export function contrastiveTerm(o: ContrastiveOptions): LossTerm {
  return {
    name: 'contrastive', values: [o.pos1, o.pos2], data: [o.anchors], weight: o.weight,
    record(ctx, cmd, step) {
      const [pos1, pos2] = step.values;
      const B = pos1.dims[0];
      const scratch = ctx.buffers.acquire((3 * B * B + 2 * B) * 4, 'contrastive scratch');
      const sink = step.loss ? null : ctx.buffers.acquire(4, 'contrastive loss');
      recordContrastive(ctx, cmd, {
        anchors: step.data[0], pos1, pos2, d1: step.grads[0], d2: step.grads[1], scratch, loss: step.loss?.buffer ?? sink!, slot: step.loss?.slot ?? 0,
      }, { tau: o.tau, w: step.total > 0 ? step.t / step.total : 1, scale: o.weight });
      ctx.buffers.release(scratch);
      if (sink) ctx.buffers.release(sink);
    },
  };
}
