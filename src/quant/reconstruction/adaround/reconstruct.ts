import { recordMatmul } from '../../../engine/kernels/matmul.ts';
import type { GpuContext } from '../../../gpu/device.ts';
import { CommandBatch } from '../../../gpu/encoder.ts';
import { readFloat32 } from '../../../gpu/readback.ts';
import type { QuantParams } from '../../simulation/quantizer.ts';
import { rng } from '../../calibration/observers.ts';
import {
  recordAdamStep, recordGatherRows, recordLoss, recordQuantizedWeight, recordWeightGradient, type RoundingBuffers,
} from './kernels.ts';
import { compareToNearest, prepareLayer, toLayout, type WeightLayout } from './problem.ts';
import { type AdaRoundSettings, betaAt, DEFAULT_SETTINGS } from './settings.ts';

export interface ReconstructProgress {
  iteration: number;
  total: number;
  /** The latest recorded minibatch loss: rec = (1/B)‖·‖², reg = Σ(1 − |2h − 1|^β) unweighted. */
  loss?: { iteration: number; rec: number; reg: number; beta: number };
}

export interface ReconstructOptions extends Partial<AdaRoundSettings> {
  weight: Float32Array;
  /** Default 'NxK' (output channels as rows). Results come back in the same layout. */
  layout?: WeightLayout;
  N: number;
  K: number;
  bits: number;
  /** Per-output-channel quantizers; default min/max per channel (quantizer.ts perChannelParams). */
  params?: QuantParams[];
  /** Inputs of the quantized path, rows x K. */
  xIn: Float32Array;
  /** FP inputs for the targets Y = xFp·Wᵀ, rows x K; default xIn. */
  xFp?: Float32Array;
  rows: number;
  seed?: number;
  /** Record the minibatch loss every this many iterations (and at the last); default about 50 records. */
  lossEvery?: number;
  onProgress?: (p: ReconstructProgress) => void;
  signal?: AbortSignal;
}

export interface ReconstructResult {
  /** 1 where the weight is rounded up from floor(W/s), in the caller's layout. */
  rounding: Uint8Array;
  /** s (clamp(floor(W/s) + h + z, 0, 2^k − 1) − z), in the caller's layout. */
  weightQ: Float32Array;
  /**
   * (1/R)‖X Wᵀ − X W~ᵀ‖²_F over all rows (summed over outputs, averaged over rows): start with
   * round-to-nearest, end with the returned rounding. history: the minibatch loss during the run.
   */
  loss: { start: number; end: number; history: { iteration: number; rec: number; reg: number; beta: number }[] };
  /** Codes above / below round-to-nearest's. */
  roundedUp: number;
  roundedDown: number;
  cancelled: boolean;
  /** Adam steps taken. */
  iterations: number;
  params: QuantParams[];
  settings: AdaRoundSettings;
  ms: number;
}

/** About 0.5 s of work per submit on a software adapter: cancellation stays responsive. */
const FLOPS_PER_SUBMIT = 2e8;
const MAX_STEPS_PER_SUBMIT = 64;

function resolveSettings(o: ReconstructOptions): AdaRoundSettings {
  const s: AdaRoundSettings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof AdaRoundSettings)[]) {
    const value = o[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`adaround: ${key} must be a finite number ≥ 0, got ${value}`);
    s[key] = value;
  }
  if (!Number.isInteger(s.iterations)) throw new RangeError(`adaround: iterations must be an integer, got ${s.iterations}`);
  if (!Number.isInteger(s.batchRows) || s.batchRows < 1) throw new RangeError(`adaround: batchRows must be a positive integer, got ${s.batchRows}`);
  return s;
}

function checkInputs(o: ReconstructOptions): void {
  if (!Number.isInteger(o.rows) || o.rows < 1) throw new RangeError(`adaround: rows must be a positive integer, got ${o.rows}`);
  if (o.xIn.length !== o.rows * o.K) throw new RangeError(`adaround: xIn has ${o.xIn.length} values, expected rows·K = ${o.rows}·${o.K}`);
  if (o.xFp && o.xFp.length !== o.rows * o.K) throw new RangeError(`adaround: xFp has ${o.xFp.length} values, expected rows·K = ${o.rows}·${o.K}`);
}

/** Random minibatches of row indices, without replacement within a batch (a partial Fisher–Yates per batch). */
function minibatchSampler(R: number, B: number, seed: number): (out: Uint32Array, offset: number) => void {
  const random = rng(seed);
  const perm = Uint32Array.from({ length: R }, (_, i) => i);
  return (out, offset) => {
    for (let b = 0; b < B; b++) {
      const j = b + Math.floor(random() * (R - b));
      const tmp = perm[b];
      perm[b] = perm[j];
      perm[j] = tmp;
      out[offset + b] = perm[b];
    }
  };
}

/** The run's shape: sizes, minibatch, iterations, where losses are recorded, steps per submit. */
interface Schedule {
  N: number;
  K: number;
  R: number;
  B: number;
  T: number;
  count: number;
  lossEvery: number;
  /** Records at every lossEvery-th iteration... */
  regular: number;
  /** ...and at the last one. */
  records: number;
  stepsPerSubmit: number;
  sampled: boolean;
}

function scheduleOf(problem: { N: number; K: number }, options: ReconstructOptions, settings: AdaRoundSettings): Schedule {
  const { N, K } = problem;
  const R = options.rows;
  const B = Math.min(settings.batchRows, R);
  const T = settings.iterations;
  const lossEvery = Math.max(1, Math.floor(options.lossEvery ?? Math.ceil(T / 50)));
  const regular = Math.ceil(T / lossEvery);
  const records = T === 0 ? 0 : regular + ((T - 1) % lossEvery === 0 ? 0 : 1);
  const stepsPerSubmit = Math.max(1, Math.min(MAX_STEPS_PER_SUBMIT, Math.floor(FLOPS_PER_SUBMIT / (4 * B * N * K))));
  return { N, K, R, B, T, count: N * K, lossEvery, regular, records, stepsPerSubmit, sampled: B < R };
}

const recordIteration = (s: Schedule, r: number) => (r < s.regular ? r * s.lossEvery : s.T - 1);
const recordSlot = (s: Schedule, t: number) => (t % s.lossEvery === 0 ? t / s.lossEvery : t === s.T - 1 ? s.regular : -1);

/** The GPU buffers of one layer's reconstruction. */
interface LayerBuffers {
  state: RoundingBuffers;
  /** Adam's moments. */
  m: GPUBuffer;
  u: GPUBuffer;
  x: GPUBuffer;
  /** The targets X_fp Wᵀ, all rows. */
  y: GPUBuffer;
  wq: GPUBuffer;
  gw: GPUBuffer;
  xb: GPUBuffer;
  yb: GPUBuffer;
  yq: GPUBuffer;
  index: GPUBuffer;
  /** slots 0-1: start, 2-3: end, then 2 per record */
  losses: GPUBuffer;
}

/** Uploads the layer, computes the targets from the FP inputs and weight, and the start loss with nearest rounding. */
function prepareBuffers(ctx: GpuContext, problem: ReturnType<typeof prepareLayer>, options: ReconstructOptions, s: Schedule, own: (b: GPUBuffer) => GPUBuffer): LayerBuffers {
  const { buffers } = ctx;
  const { N, K, R, B, count } = s;
  const state: RoundingBuffers = {
    N, K, bits: problem.bits,
    base: own(buffers.upload(problem.base)), scales: own(buffers.upload(problem.scales)), zeros: own(buffers.upload(problem.zeros)),
    v: own(buffers.upload(problem.v0)),
  };
  const x = own(buffers.upload(options.xIn));
  const y = own(buffers.acquire(R * N * 4));
  const b: LayerBuffers = {
    state, x, y,
    m: own(buffers.upload(new Float32Array(count))), u: own(buffers.upload(new Float32Array(count))),
    wq: own(buffers.acquire(count * 4)), gw: own(buffers.acquire(count * 4)),
    xb: s.sampled ? own(buffers.acquire(B * K * 4)) : x, yb: s.sampled ? own(buffers.acquire(B * N * 4)) : y,
    yq: own(buffers.acquire(B * N * 4)), index: own(buffers.acquire(Math.max(1, s.stepsPerSubmit * B) * 4)),
    losses: own(buffers.upload(new Float32Array(4 + 2 * s.records))),
  };
  const vNearest = own(buffers.upload(Float32Array.from(problem.nearest, (h) => (h ? 1 : -1))));
  // Targets from the FP inputs and the FP weight.
  const w = own(buffers.upload(problem.w));
  const xFp = options.xFp && options.xFp !== options.xIn ? own(buffers.upload(options.xFp)) : x;
  const prep = new CommandBatch(ctx);
  recordMatmul(ctx, prep, xFp, w, y, { M: R, K, N, transB: true });
  recordFullLoss(ctx, prep, state, vNearest, { ...b, slot: 0, R, B });
  prep.submit();
  return b;
}

/** Records `steps` Adam iterations from iteration t0; returns the last loss record slot written, or -1. */
function recordSteps(ctx: GpuContext, cmd: CommandBatch, b: LayerBuffers, s: Schedule, settings: AdaRoundSettings, t0: number, steps: number): number {
  const { N, K, B, T, count } = s;
  let lastRecord = -1;
  for (let j = 0, t = t0; j < steps; j++, t++) {
    if (s.sampled) {
      recordGatherRows(ctx, cmd, b.x, b.index, j * B, B, K, b.xb);
      recordGatherRows(ctx, cmd, b.y, b.index, j * B, B, N, b.yb);
    }
    recordQuantizedWeight(ctx, cmd, b.state, b.wq, false);
    recordMatmul(ctx, cmd, b.xb, b.wq, b.yq, { M: B, K, N, transB: true });
    const { beta, regularise } = betaAt(t, T, settings);
    const slot = recordSlot(s, t);
    if (slot >= 0) {
      recordLoss(ctx, cmd, b.yq, b.yb, b.losses, { count: B * N, scale: 1 / B, accumulate: false, slot: 4 + 2 * slot, regulariser: { v: b.state.v, count, beta } });
      lastRecord = slot;
    }
    recordWeightGradient(ctx, cmd, b.yq, b.yb, b.xb, b.gw, { R: B, N, K }, 2 / B);
    recordAdamStep(ctx, cmd, b.state, b.gw, b.m, b.u, {
      t: t + 1, lr: settings.lr, alpha: regularise ? settings.alpha : 0, beta,
      beta1: settings.adamBeta1, beta2: settings.adamBeta2, eps: settings.adamEps,
    });
  }
  return lastRecord;
}

/** Runs the iterations in submits of stepsPerSubmit, checking the signal between them; returns the steps taken. */
async function optimise(ctx: GpuContext, b: LayerBuffers, s: Schedule, settings: AdaRoundSettings, options: ReconstructOptions): Promise<{ t: number; cancelled: boolean }> {
  const sample = minibatchSampler(s.R, s.B, options.seed ?? 0);
  const indices = new Uint32Array(s.stepsPerSubmit * s.B);
  let t = 0;
  let lastRecord = -1;
  while (t < s.T) {
    if (options.signal?.aborted) return { t, cancelled: true };
    const steps = Math.min(s.stepsPerSubmit, s.T - t);
    if (s.sampled) {
      for (let j = 0; j < steps; j++) sample(indices, j * s.B);
      ctx.device.queue.writeBuffer(b.index, 0, indices, 0, steps * s.B);
    }
    const cmd = new CommandBatch(ctx);
    const last = recordSteps(ctx, cmd, b, s, settings, t, steps);
    if (last >= 0) lastRecord = last;
    t += steps;
    cmd.submit();
    if (options.onProgress && lastRecord >= 0) {
      const [rec, reg] = await readFloat32(ctx, b.losses, 2, (4 + 2 * lastRecord) * 4);
      const at = recordIteration(s, lastRecord);
      options.onProgress({ iteration: t, total: s.T, loss: { iteration: at, rec, reg, beta: betaAt(at, s.T, settings).beta } });
    } else {
      await ctx.device.queue.onSubmittedWorkDone();
      options.onProgress?.({ iteration: t, total: s.T });
    }
  }
  return { t, cancelled: false };
}

/**
 * AdaRound for one layer on the GPU (paper eq. 7-8): learn V by Adam on (1/B)‖X Wᵀ − X W~ᵀ‖² + α·reg
 * over random minibatches, then round hard (V ≥ 0 → up). Iterations are recorded in command
 * batches with no readback inside; the signal is checked between batches, and a cancelled run
 * returns round-to-nearest (`cancelled: true`).
 */
export async function reconstructLayer(ctx: GpuContext, options: ReconstructOptions): Promise<ReconstructResult> {
  const started = performance.now();
  const settings = resolveSettings(options);
  const layout = options.layout ?? 'NxK';
  const problem = prepareLayer(options.weight, layout, options.N, options.K, options.bits, options.params);
  checkInputs(options);
  const s = scheduleOf(problem, options, settings);
  const { N, K, count, records } = s;
  const owned: GPUBuffer[] = [];
  const own = (b: GPUBuffer) => (owned.push(b), b);
  try {
    const b = prepareBuffers(ctx, problem, options, s, own);
    const { t, cancelled } = await optimise(ctx, b, s, settings, options);
    if (cancelled) ctx.device.queue.writeBuffer(b.state.v, 0, Float32Array.from(problem.nearest, (h) => (h ? 1 : -1)));
    const finish = new CommandBatch(ctx);
    recordFullLoss(ctx, finish, b.state, b.state.v, { ...b, slot: 2, R: s.R, B: s.B });
    finish.submit();
    const vFinal = await readFloat32(ctx, b.state.v, count);
    const weightQ = await readFloat32(ctx, b.wq, count);
    const lossValues = await readFloat32(ctx, b.losses, 4 + 2 * records);

    const rounding = Uint8Array.from(vFinal, (v) => (v >= 0 ? 1 : 0));
    const history: ReconstructResult['loss']['history'] = [];
    for (let r = 0; r < records; r++) {
      const at = recordIteration(s, r);
      if (at >= t) break;
      history.push({ iteration: at, rec: lossValues[4 + 2 * r], reg: lossValues[5 + 2 * r], beta: betaAt(at, s.T, settings).beta });
    }
    return {
      rounding: toLayout(rounding, layout, N, K),
      weightQ: toLayout(weightQ, layout, N, K),
      loss: { start: lossValues[0], end: lossValues[2], history },
      ...compareToNearest(problem, rounding),
      cancelled,
      iterations: t,
      params: problem.params,
      settings,
      ms: performance.now() - started,
    };
  } finally {
    for (const buf of owned) ctx.buffers.release(buf);
  }
}

interface FullLossBuffers {
  x: GPUBuffer;
  y: GPUBuffer;
  xb: GPUBuffer;
  yb: GPUBuffer;
  yq: GPUBuffer;
  wq: GPUBuffer;
  losses: GPUBuffer;
  slot: number;
  R: number;
  B: number;
}

/** Hard W~ from `v` into wq, and (1/R)‖X W~ᵀ − Y‖² over all rows into losses[slot], B rows at a time. */
function recordFullLoss(ctx: GpuContext, cmd: CommandBatch, state: RoundingBuffers, v: GPUBuffer, b: FullLossBuffers): void {
  const { N, K } = state;
  recordQuantizedWeight(ctx, cmd, state, b.wq, true, v);
  for (let r0 = 0; r0 < b.R; r0 += b.B) {
    const rows = Math.min(b.B, b.R - r0);
    let xs = b.x;
    let ys = b.y;
    if (b.B < b.R) {
      cmd.copy(b.x, b.xb, rows * K * 4, r0 * K * 4);
      cmd.copy(b.y, b.yb, rows * N * 4, r0 * N * 4);
      xs = b.xb;
      ys = b.yb;
    }
    recordMatmul(ctx, cmd, xs, b.wq, b.yq, { M: rows, K, N, transB: true });
    recordLoss(ctx, cmd, b.yq, ys, b.losses, { count: rows * N, scale: 1 / b.R, accumulate: r0 > 0, slot: b.slot });
  }
}
