import type { GpuTensor } from '../../../engine/gpu-tensor.ts';
import type { GpuContext } from '../../../gpu/device.ts';
import type { CommandBatch } from '../../../gpu/encoder.ts';
import { readFloat32 } from '../../../gpu/readback.ts';
import type { QuantLayer } from '../../../model/layers.ts';
import { recordAdamStep, recordLoss, recordQuantizedWeight, type AdamStep, type RoundingBuffers } from '../adaround/kernels.ts';
import { compareToNearest, prepareLayer, toLayout, type LayerProblem } from '../adaround/problem.ts';
import type { QuantParams } from '../../simulation/quantizer.ts';

/** One layer of a block to reconstruct. */
export interface BlockLayer {
  layer: QuantLayer;
  /** Its float weight, in the stored layout. */
  weight: Float32Array;
  bits: number;
  /** Per-output-channel quantizers; default min/max per channel. */
  params?: QuantParams[];
  /**
   * A rounding to measure against and fall back to instead of round-to-nearest (e.g. an earlier
   * reconstruction's): its quantized weight on the same grid, in the stored layout.
   */
  baseline?: Float32Array;
}

export interface LayerOutcome {
  name: string;
  /** s (clamp(floor(W/s) + h + z, 0, 2^k − 1) − z) with the learned h, in the stored layout. */
  weightQ: Float32Array;
  /** 1 where the weight is rounded up from floor(W/s), in the stored layout. */
  rounding: Uint8Array;
  /** Codes above / below round-to-nearest's. */
  roundedUp: number;
  roundedDown: number;
  params: QuantParams[];
}

/** V (±1) that rounds like a given quantized weight (N x K): up where it lies above s·(floor(W/s) − z + z). */
function baselineV(problem: LayerProblem, weightQ: Float32Array): Float32Array<ArrayBuffer> {
  return Float32Array.from(weightQ, (q, i) => {
    const n = Math.floor(i / problem.K);
    return q / problem.scales[n] - (problem.base[i] + 0.5) > 0 ? 1 : -1;
  });
}

/**
 * A layer's learned rounding on the GPU during block reconstruction: AdaRound's V (paper eq. 7-8)
 * with its Adam moments, and the soft or hard quantized weight W~ (N x K) the block's forward pass
 * reads. The kernels are the layer-wise AdaRound's (src/quant/adaround/kernels.ts).
 */
export class LayerRounding {
  readonly problem: LayerProblem;
  readonly state: RoundingBuffers;
  /** W~, N x K. */
  readonly weight: GpuTensor;
  private readonly moments: [GPUBuffer, GPUBuffer];
  private readonly nearest: Float32Array<ArrayBuffer>;
  /** V at round-to-nearest (±1), for measuring the baseline without touching V. */
  private readonly nearestV: GPUBuffer;

  constructor(private readonly ctx: GpuContext, readonly source: BlockLayer) {
    const { layer } = source;
    if (layer.layout === 'conv') throw new RangeError(`block reconstruction: layer ${layer.name} is a convolution, which a block does not hold`);
    this.problem = prepareLayer(source.weight, layer.layout, layer.outFeatures, layer.inFeatures, source.bits, source.params);
    const { N, K, bits, base, scales, zeros, v0 } = this.problem;
    const { buffers } = ctx;
    this.state = { N, K, bits, base: buffers.upload(base), scales: buffers.upload(scales), zeros: buffers.upload(zeros), v: buffers.upload(v0) };
    this.moments = [buffers.upload(new Float32Array(N * K)), buffers.upload(new Float32Array(N * K))];
    this.weight = { buffer: buffers.acquire(N * K * 4, `${layer.name} W~`), dims: [N, K], dtype: 'f32' };
    this.nearest = source.baseline ? baselineV(this.problem, toLayout(source.baseline, layer.layout as 'KxN' | 'NxK', K, N)) : Float32Array.from(this.problem.nearest, (h) => (h ? 1 : -1));
    this.nearestV = buffers.upload(this.nearest);
  }

  get name(): string {
    return this.source.layer.name;
  }

  get count(): number {
    return this.problem.N * this.problem.K;
  }

  /** W~: soft from V during optimisation, hard from V (V ≥ 0 → up), or round-to-nearest. */
  recordWeight(cmd: CommandBatch, mode: 'soft' | 'hard' | 'nearest'): void {
    recordQuantizedWeight(this.ctx, cmd, this.state, this.weight.buffer, mode !== 'soft', mode === 'nearest' ? this.nearestV : this.state.v);
  }

  recordAdam(cmd: CommandBatch, gradW: GpuTensor, step: AdamStep): void {
    recordAdamStep(this.ctx, cmd, this.state, gradW.buffer, this.moments[0], this.moments[1], step);
  }

  /** out[slot + 1] = Σ(1 − |2h − 1|^β) over this layer's V (out[slot] is left as it is). */
  recordRegulariser(cmd: CommandBatch, out: GPUBuffer, slot: number, beta: number): void {
    recordLoss(this.ctx, cmd, this.weight.buffer, this.weight.buffer, out, { count: 0, scale: 0, accumulate: true, slot, regulariser: { v: this.state.v, count: this.count, beta } });
  }

  /** Back to round-to-nearest (a cancelled run, or the baseline measurement). */
  resetToNearest(): void {
    this.ctx.device.queue.writeBuffer(this.state.v, 0, this.nearest);
  }

  /** The hard decisions and weight after the hard W~ was recorded (call after a submit that did). */
  async outcome(): Promise<LayerOutcome> {
    const { N, K } = this.problem;
    const layout = this.source.layer.layout as 'KxN' | 'NxK';
    const v = await readFloat32(this.ctx, this.state.v, this.count);
    const weightQ = await readFloat32(this.ctx, this.weight.buffer, this.count);
    const rounding = Uint8Array.from(v, (x) => (x >= 0 ? 1 : 0));
    return {
      name: this.name, weightQ: toLayout(weightQ, layout, N, K), rounding: toLayout(rounding, layout, N, K),
      ...compareToNearest(this.problem, rounding), params: this.problem.params,
    };
  }

  release(): void {
    const { buffers } = this.ctx;
    for (const b of [this.state.base, this.state.scales, this.state.zeros, this.state.v, this.nearestV, ...this.moments, this.weight.buffer]) buffers.release(b);
  }
}
