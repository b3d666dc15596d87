import type { GpuTensor } from '../../../engine/gpu-tensor.ts';
import { elementCount } from '../../../engine/kernels/dispatch.ts';
import type { GpuContext } from '../../../gpu/device.ts';
import { CommandBatch } from '../../../gpu/encoder.ts';
import { readFloat32 } from '../../../gpu/readback.ts';
import { type ImageData, type LossTerm, rowsOf, squaredErrorTerm } from '../../../grad/losses.ts';
import { GradProgram } from '../../../grad/program.ts';
import type { RegionSpec } from '../../../grad/region.ts';
import { recordAccumulate, recordMseLoss } from '../../../grad/kernels.ts';
import { recordGatherRows } from '../adaround/kernels.ts';
import { type AdaRoundSettings, betaAt } from '../adaround/settings.ts';
import { quantGradExtensions } from '../../simulation/fake-quant-grad.ts';
import { rng } from '../../calibration/observers.ts';
import type { BlockLossRecord, BlockReconstructOptions } from './reconstruct-block.ts';
import { type LayerOutcome, LayerRounding } from './rounding.ts';

/** About 0.5 s of work per submit on a software adapter: cancellation stays responsive. */
const FLOPS_PER_SUBMIT = 2e8;
const MAX_STEPS_PER_SUBMIT = 32;

/** Random image indices per step, distinct within a step (a partial Fisher–Yates). */
function imageSampler(R: number, B: number, seed: number): (out: Uint32Array, offset: number) => void {
  const random = rng(seed);
  const perm = Uint32Array.from({ length: R }, (_, i) => i);
  return (out, offset) => {
    for (let b = 0; b < B; b++) {
      const j = b + Math.floor(random() * (R - b));
      [perm[b], perm[j]] = [perm[j], perm[b]];
      out[offset + b] = perm[b];
    }
  };
}

/** Per-image data on the GPU: every image, and the minibatch gathered from them at each step. */
interface Staged {
  all: GpuTensor;
  batch: GpuTensor;
  perImage: number;
}

/** The GPU state of one block reconstruction: programs, roundings, staged data, loss records. */
export class BlockRun {
  private readonly owned: GPUBuffer[] = [];
  private readonly program: GradProgram;
  private evaluator: GradProgram | null = null;
  private readonly roundings: LayerRounding[] = [];
  private readonly terms: LossTerm[];
  private readonly inputs = new Map<string, Staged>();
  private readonly termData: Staged[][];
  private readonly index: GPUBuffer;
  private readonly stepsPerSubmit: number;

  constructor(private readonly ctx: GpuContext, private readonly o: BlockReconstructOptions, private readonly settings: AdaRoundSettings, private readonly R: number, private readonly B: number) {
    try {
      this.terms = [...o.boundary.outputs.map((name) => squaredErrorTerm(name, o.targets[name])), ...(o.losses ?? [])];
      for (const name of o.boundary.inputs) this.inputs.set(name, this.stage(o.inputs[name]));
      this.termData = this.terms.map((t) => t.data.map((d) => this.stage(d)));
      const keep = [...new Set([...(o.keep ?? []), ...this.terms.flatMap((t) => t.values)])].filter((v) => !o.boundary.outputs.includes(v));
      this.program = new GradProgram(ctx, o.model, this.spec(B, { keep }), quantGradExtensions);
      for (const layer of o.layers) this.roundings.push(new LayerRounding(ctx, layer));
      this.stepsPerSubmit = Math.max(1, Math.min(MAX_STEPS_PER_SUBMIT, Math.floor(FLOPS_PER_SUBMIT / this.flopsPerStep())));
      this.index = this.own(ctx.buffers.acquire(this.stepsPerSubmit * B * 4, 'block minibatch indices'));
    } catch (e) {
      this.release();
      throw e;
    }
  }

  private own(b: GPUBuffer): GPUBuffer {
    this.owned.push(b);
    return b;
  }

  private stage(d: ImageData): Staged {
    const perImage = elementCount(d.dims.slice(1));
    const all: GpuTensor = { buffer: this.own(this.ctx.buffers.upload(d.data)), dims: d.dims, dtype: 'f32' };
    const batch: GpuTensor = { buffer: this.own(this.ctx.buffers.acquire(this.B * perImage * 4)), dims: [this.B, ...d.dims.slice(1)], dtype: 'f32' };
    return { all, batch, perImage };
  }

  private spec(images: number, extra: Partial<RegionSpec>): RegionSpec {
    const inputs = this.o.boundary.inputs.map((name) => ({ name, dims: [images, ...this.o.inputs[name].dims.slice(1)] }));
    return { inputs, outputs: this.o.boundary.outputs, parameters: this.o.layers.map((l) => l.layer), ...extra };
  }

  /** Products of the block's layers, forward and backward (attention is small beside them). */
  private flopsPerStep(): number {
    const out = this.program.region.plan.shapes.get(this.o.boundary.outputs[0])!.dims;
    return 6 * rowsOf(out) * this.o.layers.reduce((s, l) => s + l.layer.inFeatures * l.layer.outFeatures, 0);
  }

  private weights(): Map<string, GpuTensor> {
    return new Map(this.roundings.map((r) => [r.name, r.weight]));
  }

  /**
   * The reconstruction error over every image, (1/rows) Σ(y − target)² summed over the outputs, with
   * the hard rounding: round-to-nearest, or the learned one.
   */
  async measure(nearest: boolean): Promise<number> {
    this.evaluator ??= new GradProgram(this.ctx, this.o.model, this.spec(this.R, { gradients: false }), quantGradExtensions);
    const out = this.own(this.ctx.buffers.upload(new Float32Array(4)));
    const cmd = new CommandBatch(this.ctx);
    for (const r of this.roundings) r.recordWeight(cmd, nearest ? 'nearest' : 'hard');
    const feeds = Object.fromEntries([...this.inputs].map(([name, s]) => [name, s.all]));
    const fwd = this.evaluator.recordForward(cmd, feeds, this.weights());
    this.o.boundary.outputs.forEach((name, i) => {
      const y = fwd.value(name);
      const target = this.terms[i].data[0];
      recordMseLoss(this.ctx, cmd, y, this.termData[i][0].all, out, { slot: 0, scale: 1 / rowsOf(target.dims), accumulate: i > 0 });
    });
    fwd.release();
    cmd.submit();
    return (await readFloat32(this.ctx, out, 1))[0];
  }

  /** Adam on every layer's V over random minibatches of images; the minibatch losses recorded every lossEvery steps. */
  async optimise(): Promise<{ iterations: number; cancelled: boolean; history: BlockLossRecord[] }> {
    const T = this.settings.iterations;
    const lossEvery = Math.max(1, Math.floor(this.o.lossEvery ?? Math.ceil(T / 50)));
    const regular = Math.ceil(T / lossEvery);
    const records = T === 0 ? 0 : regular + ((T - 1) % lossEvery === 0 ? 0 : 1);
    const recordIteration = (r: number) => (r < regular ? r * lossEvery : T - 1);
    const recordSlot = (t: number) => (t % lossEvery === 0 ? t / lossEvery : t === T - 1 ? regular : -1);
    const width = this.terms.length + this.roundings.length;
    const losses = this.own(this.ctx.buffers.upload(new Float32Array(Math.max(1, records * width))));
    const sample = imageSampler(this.R, this.B, this.o.seed ?? 0);
    const indices = new Uint32Array(this.stepsPerSubmit * this.B);
    const recordOf = (values: Float32Array, r: number): BlockLossRecord => {
      const at = recordIteration(r);
      const row = values.subarray(r * width, (r + 1) * width);
      const terms = Object.fromEntries(this.terms.map((term, k) => [term.name, row[k]]));
      return { iteration: at, terms, reg: row.subarray(this.terms.length).reduce((a, b) => a + b, 0), beta: betaAt(at, T, this.settings).beta };
    };
    let t = 0;
    let lastRecord = -1;
    /** Records already passed to onProgress. */
    let reported = 0;
    let cancelled = false;
    while (t < T) {
      if (this.o.signal?.aborted) {
        cancelled = true;
        break;
      }
      this.refresh(t);
      const steps = Math.min(this.stepsPerSubmit, T - t);
      for (let j = 0; j < steps; j++) sample(indices, j * this.B);
      this.ctx.device.queue.writeBuffer(this.index, 0, indices, 0, steps * this.B);
      const cmd = new CommandBatch(this.ctx);
      for (let j = 0; j < steps; j++, t++) {
        const slot = recordSlot(t);
        this.recordStep(cmd, t, j, slot >= 0 ? { buffer: losses, base: slot * width } : null);
        if (slot >= 0) lastRecord = slot;
      }
      cmd.submit();
      if (this.o.onProgress && lastRecord >= 0) {
        const from = Math.min(reported, lastRecord);
        const rows = await readFloat32(this.ctx, losses, (lastRecord + 1 - from) * width, from * width * 4);
        const padded = new Float32Array((lastRecord + 1) * width);
        padded.set(rows, from * width);
        const recorded = Array.from({ length: lastRecord + 1 - reported }, (_, i) => recordOf(padded, reported + i));
        reported = lastRecord + 1;
        this.o.onProgress({ iteration: t, total: T, loss: recordOf(padded, lastRecord), recorded });
      } else {
        await this.ctx.device.queue.onSubmittedWorkDone();
        this.o.onProgress?.({ iteration: t, total: T });
      }
    }
    this.refresh(T);
    const values = records > 0 ? await readFloat32(this.ctx, losses, records * width) : new Float32Array();
    const history: BlockLossRecord[] = [];
    for (let r = 0; r < records && recordIteration(r) < t; r++) history.push(recordOf(values, r));
    return { iterations: t, cancelled, history };
  }

  /** One Adam step on the minibatch of step j of this submit: soft weights, forward, loss terms, backward, updates. */
  private recordStep(cmd: CommandBatch, t: number, j: number, record: { buffer: GPUBuffer; base: number } | null): void {
    const { ctx, B } = this;
    const T = this.settings.iterations;
    for (const s of [...this.inputs.values(), ...this.termData.flat()]) recordGatherRows(ctx, cmd, s.all.buffer, this.index, j * B, B, s.perImage, s.batch.buffer);
    for (const r of this.roundings) r.recordWeight(cmd, 'soft');
    const feeds = Object.fromEntries([...this.inputs].map(([name, s]) => [name, s.batch]));
    const forward = this.program.recordForward(cmd, feeds, this.weights());
    const seeds = new Map<string, GpuTensor>();
    this.terms.forEach((term, k) => {
      const values = term.values.map((v) => forward.value(v));
      const grads = values.map((v): GpuTensor => ({ buffer: ctx.buffers.acquire(elementCount(v.dims) * 4, `seed ${term.name}`), dims: v.dims, dtype: 'f32' }));
      const loss = record ? { buffer: record.buffer, slot: record.base + k } : null;
      term.record(ctx, cmd, { values, data: this.termData[k].map((s) => s.batch), grads, t, total: T, loss });
      term.values.forEach((name, i) => {
        const have = seeds.get(name);
        if (!have) return seeds.set(name, grads[i]);
        recordAccumulate(ctx, cmd, have, grads[i]);
        ctx.buffers.release(grads[i].buffer);
      });
    });
    const { beta, regularise } = betaAt(t, T, this.settings);
    if (record) this.roundings.forEach((r, i) => r.recordRegulariser(cmd, record.buffer, record.base + this.terms.length + i - 1, beta));
    const grads = this.program.recordBackward(cmd, forward, seeds);
    forward.release();
    for (const g of grads.values.values()) ctx.buffers.release(g.buffer);
    const s = this.settings;
    for (const r of this.roundings) {
      const gradW = grads.parameters.get(r.name)!;
      r.recordAdam(cmd, gradW, { t: t + 1, lr: s.lr, alpha: regularise ? s.alpha : 0, beta, beta1: s.adamBeta1, beta2: s.adamBeta2, eps: s.adamEps });
      ctx.buffers.release(gradW.buffer);
    }
  }

  /** Writes the caller's new data for some inputs (options.refresh) over every image's. */
  private refresh(iteration: number): void {
    for (const [name, data] of Object.entries(this.o.refresh?.(iteration) ?? {}) as [string, Float32Array<ArrayBuffer>][]) {
      const staged = this.inputs.get(name);
      if (!staged || data.length !== elementCount(staged.all.dims)) throw new RangeError(`block reconstruction: refreshed "${name}" does not match its input`);
      this.ctx.device.queue.writeBuffer(staged.all.buffer, 0, data);
    }
  }

  resetToNearest(): void {
    for (const r of this.roundings) r.resetToNearest();
  }

  async outcomes(): Promise<LayerOutcome[]> {
    const cmd = new CommandBatch(this.ctx);
    for (const r of this.roundings) r.recordWeight(cmd, 'hard');
    cmd.submit();
    const out: LayerOutcome[] = [];
    for (const r of this.roundings) out.push(await r.outcome());
    return out;
  }

  release(): void {
    this.program?.dispose();
    this.evaluator?.dispose();
    for (const r of this.roundings) r.release();
    for (const b of this.owned) this.ctx.buffers.release(b);
    this.owned.length = 0;
  }
}
