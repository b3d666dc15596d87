import { elementCount } from '../../../engine/kernels/dispatch.ts';
import type { GpuContext } from '../../../gpu/device.ts';
import { CommandBatch } from '../../../gpu/encoder.ts';
import { readFloat32 } from '../../../gpu/readback.ts';
import { GradProgram } from '../../../grad/program.ts';
import type { ImageData, LossTerm } from '../../../grad/losses.ts';
import type { Model } from '../../../onnx/ir.ts';
import { type AdaRoundSettings, DEFAULT_SETTINGS } from '../adaround/settings.ts';
import { quantGradExtensions } from '../../simulation/fake-quant-grad.ts';
import type { BlockLayer, LayerOutcome } from './rounding.ts';
import { BlockRun } from './run.ts';

export type { BlockLayer, LayerOutcome } from './rounding.ts';

export interface BlockProgress {
  iteration: number;
  total: number;
  /** The latest recorded minibatch loss: each term's weighted value, and Σ(1 − |2h − 1|^β) over the block's V. */
  loss?: BlockLossRecord;
  /** The losses recorded since the previous progress, in order (each record is passed once). */
  recorded?: BlockLossRecord[];
}

export interface BlockLossRecord {
  iteration: number;
  /** Weighted value of each loss term, by term name (`reconstruction` first). */
  terms: Record<string, number>;
  reg: number;
  beta: number;
}

export interface BlockReconstructOptions extends Partial<Omit<AdaRoundSettings, 'batchRows'>> {
  /**
   * The model the block runs in: the simulated quantized model, with the activation quantizers of
   * its layers in place (their backward is the straight-through estimator). The block's own layers
   * take the learned weights; whatever weights the model holds for them are not read.
   */
  model: Model;
  /** The values the block starts from and ends with (src/grad/blocks.ts blockBoundary). */
  boundary: { inputs: string[]; outputs: string[] };
  /** Every quantized layer of the block; their rounding is learned together. */
  layers: BlockLayer[];
  /** The block's inputs on the quantized upstream path, [images, ...] per boundary input. */
  inputs: Record<string, ImageData>;
  /** The reconstruction targets: the float block's outputs, [images, ...] per boundary output. */
  targets: Record<string, ImageData>;
  /** Images per step (all when fewer); default 8. */
  batchImages?: number;
  /** Further loss terms (e.g. VEFT's contrastive term), added to the reconstruction error. */
  losses?: LossTerm[];
  /** Values inside the block to keep for those terms (when they are not outputs). */
  keep?: string[];
  seed?: number;
  /**
   * New data for some boundary inputs (every image), asked before each submit of steps from
   * `iteration`, and once more with iteration = iterations for the final measurement (e.g. VEFT's
   * random channel masks).
   */
  refresh?: (iteration: number) => Record<string, Float32Array<ArrayBuffer>>;
  /** Record the minibatch loss every this many iterations (and at the last); default about 50 records. */
  lossEvery?: number;
  onProgress?: (p: BlockProgress) => void;
  signal?: AbortSignal;
}

export interface BlockReconstructResult {
  layers: LayerOutcome[];
  /**
   * The reconstruction error (1/rows) Σ(y − target)² over every image (rows = tokens of every image,
   * summed over the outputs): with round-to-nearest and with the learned rounding; the minibatch
   * losses during the run.
   */
  loss: { nearest: number; learned: number; history: BlockLossRecord[] };
  cancelled: boolean;
  iterations: number;
  settings: AdaRoundSettings;
  ms: number;
}

function resolveSettings(o: BlockReconstructOptions): AdaRoundSettings {
  const s: AdaRoundSettings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof AdaRoundSettings)[]) {
    const value = (o as Partial<AdaRoundSettings>)[key];
    if (value === undefined || key === 'batchRows') continue;
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`block reconstruction: ${key} must be a finite number ≥ 0, got ${value}`);
    s[key] = value;
  }
  if (!Number.isInteger(s.iterations)) throw new RangeError(`block reconstruction: iterations must be an integer, got ${s.iterations}`);
  return s;
}

/** The number of images every input and target holds, checked to agree. */
function imageCount(o: BlockReconstructOptions): number {
  const all = [...o.boundary.inputs.map((n) => [n, o.inputs[n]] as const), ...o.boundary.outputs.map((n) => [n, o.targets[n]] as const)];
  let count = 0;
  for (const [name, t] of all) {
    if (!t) throw new RangeError(`block reconstruction: no data for "${name}"`);
    if (t.data.length !== elementCount(t.dims)) throw new RangeError(`block reconstruction: "${name}" has ${t.data.length} values for dims [${t.dims.join(', ')}]`);
    if (count && t.dims[0] !== count) throw new RangeError(`block reconstruction: "${name}" holds ${t.dims[0]} images, the others ${count}`);
    count = t.dims[0];
  }
  if (!(count >= 1)) throw new RangeError('block reconstruction: no images');
  return count;
}

/**
 * Block reconstruction (BRECQ-style, with AdaRound's rounding): the learned rounding of every layer
 * of one block optimised together by Adam on the block's output error against the float block's
 * output, plus AdaRound's regulariser α Σ(1 − |2h − 1|^β) over all its V (β annealed after a
 * warm-up, as the layer-wise version). Gradients flow through the whole block (attention, softmax,
 * LayerNorm, GELU, activation quantizers) by src/grad. Steps are recorded into command batches with
 * no readback inside; the signal is checked between batches, and a cancelled run returns
 * round-to-nearest (`cancelled: true`).
 */
export async function reconstructBlock(ctx: GpuContext, options: BlockReconstructOptions): Promise<BlockReconstructResult> {
  const started = performance.now();
  const settings = resolveSettings(options);
  const R = imageCount(options);
  const B = Math.min(options.batchImages ?? 8, R);
  const run = new BlockRun(ctx, options, settings, R, B);
  try {
    const nearest = await run.measure(true);
    const { iterations, cancelled, history } = await run.optimise();
    if (cancelled) run.resetToNearest();
    const learned = cancelled ? nearest : await run.measure(false);
    const layers = await run.outcomes();
    return { layers, loss: { nearest, learned, history }, cancelled, iterations, settings, ms: performance.now() - started };
  } finally {
    run.release();
  }
}

/**
 * The float block's outputs on the given inputs (e.g. the quantized upstream model's): the
 * reconstruction targets "float block, same inputs". `model` is the float model; every image at once.
 */
export async function floatBlockOutputs(
  ctx: GpuContext, model: Model, boundary: { inputs: string[]; outputs: string[] }, inputs: Record<string, ImageData>,
): Promise<Record<string, ImageData>> {
  const spec = { inputs: boundary.inputs.map((name) => ({ name, dims: inputs[name].dims })), outputs: boundary.outputs, gradients: false };
  const program = new GradProgram(ctx, model, spec, quantGradExtensions);
  const owned: GPUBuffer[] = [];
  try {
    const feeds = Object.fromEntries(spec.inputs.map(({ name, dims }) => {
      const buffer = ctx.buffers.upload(inputs[name].data);
      owned.push(buffer);
      return [name, { buffer, dims, dtype: 'f32' as const }];
    }));
    const cmd = new CommandBatch(ctx);
    const forward = program.recordForward(cmd, feeds);
    cmd.submit();
    const out: Record<string, ImageData> = {};
    for (const name of boundary.outputs) {
      const t = forward.value(name);
      out[name] = { dims: t.dims, data: await readFloat32(ctx, t.buffer, elementCount(t.dims)) };
    }
    forward.release();
    return out;
  } finally {
    program.dispose();
    for (const b of owned) ctx.buffers.release(b);
  }
}
