import type { GpuModel, HostTensor } from '../../engine/session.ts';
import type { QuantLayer } from '../../model/layers.ts';
import type { Model } from '../../onnx/ir.ts';
import { activationStatsNode, MAX_SAMPLES } from './activation-stats-op.ts';
import { ChannelEnergy } from '../allocation/importance.ts';
import { RangeObserver } from './observers.ts';
import { inPieces, RUN_VALUE_BYTES } from './pieces.ts';

export interface CalibrationResult {
  images: number;
  /** Per layer input tensor. */
  ranges: Map<string, RangeObserver>;
  /** Per layer name: A_j over the layer's input features (eq. 2). */
  energy: Map<string, Float64Array>;
  /** Per layer name: a sample of input rows [rows, inFeatures] for measured errors (only with keepRows). */
  inputs: Map<string, { rows: number; data: Float32Array }>;
}

export interface CalibrationOptions {
  /** Rows of each layer's input kept for later stages (the 'measured' error model); none by default. */
  keepRows?: number;
  seed?: number;
  onBatch?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** GPU bytes a run's values may take (default RUN_VALUE_BYTES); batches run in pieces that fit. */
  valueBytes?: number;
}

/** Conv input [B, C, H, W] unfolded to rows of patches [B·OH·OW, C·KH·KW] (the conv as a matmul). */
export function unfoldPatches(x: Float32Array, dims: number[], layer: QuantLayer, weightDims: number[]): { rows: number; data: Float32Array } {
  const [B, C, H, W] = dims;
  const [, , KH, KW] = weightDims;
  const attr = (name: string, fallback: number[]) => {
    const a = layer.node.attrs[name];
    return a?.type === 'ints' ? a.value : fallback;
  };
  const [sh, sw] = attr('strides', [1, 1]);
  const [pt, pl] = attr('pads', [0, 0, 0, 0]);
  const [pb, pr] = attr('pads', [0, 0, 0, 0]).slice(2);
  const OH = Math.floor((H + pt + (pb ?? 0) - KH) / sh) + 1;
  const OW = Math.floor((W + pl + (pr ?? 0) - KW) / sw) + 1;
  const K = C * KH * KW;
  const rows = B * OH * OW;
  const data = new Float32Array(rows * K);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const row = (b * OH + oy) * OW + ox;
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < KH; ky++)
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * sh + ky - pt;
              const ix = ox * sw + kx - pl;
              if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
              data[row * K + (c * KH + ky) * KW + kx] = x[((b * C + c) * H + iy) * W + ix];
            }
      }
  return { rows, data };
}

/** Values per tensor kept for percentile and MSE ranges (RangeObserver's reservoir). */
const RESERVOIR = 1 << 16;

/** The stats node outputs of a tapped tensor. */
const statNames = (tap: string): [string, string, string] => [`${tap}::range`, `${tap}::energy`, `${tap}::sample`];

/**
 * The model with an ActivationStats node on every tapped tensor, its outputs the graph's outputs:
 * a run returns each tensor's min/max, channel energies and sample, not the tensor.
 * `samples` is each tensor's share of its observer's reservoir for this batch.
 */
function observedModel(model: Model, taps: Map<string, number>, samples: number, seed: number): Model {
  const nodes = [...taps].map(([tap, channels], i) => activationStatsNode(`${tap}/calibration_stats`, tap, statNames(tap), { channels, samples, seed: seed + i * 7919 }));
  const outputs = [...taps.keys()].flatMap((tap) => statNames(tap).map((name) => ({ name, dtype: 'float32' as const, shape: null })));
  return { ...model, graph: { ...model.graph, nodes: [...model.graph.nodes, ...nodes], outputs } };
}

/**
 * Runs the model over the calibration batches and gathers, for every layer's input, its activation
 * range (exact min/max and a uniform sample for percentile and MSE ranges) and its channel energies.
 * Both are reduced on the GPU: a batch returns a few numbers per tensor, not the activations. Only
 * a Conv's input (when it is not the pixels) comes back whole, to be unfolded into patches; and
 * every layer's input when `keepRows` asks for rows to keep. A large model runs each batch in
 * pieces (pieces.ts), so its activations stay about one block's worth.
 */
export async function calibrate(
  model: GpuModel,
  layers: readonly QuantLayer[],
  batches: { pixels: Float32Array; count: number }[],
  options: CalibrationOptions = {},
): Promise<CalibrationResult> {
  const run = new CalibrationRun(model, layers, batches.reduce((s, b) => s + b.count, 0), options);
  const perRun = model.imagesPerRun(options.valueBytes ?? RUN_VALUE_BYTES, Math.max(...batches.map((b) => b.count)));
  try {
    for (const [b, batch] of batches.entries()) {
      for (const piece of inPieces(batch, perRun)) {
        if (options.signal?.aborted) throw new DOMException('calibration cancelled', 'AbortError');
        await run.observe(piece);
      }
      options.onBatch?.(b + 1, batches.length);
    }
  } finally {
    run.dispose();
  }
  return run.result();
}

/** The observers of one calibration, fed a run at a time. */
class CalibrationRun {
  private readonly input: string;
  private readonly keepRows: number;
  /** Every tensor a layer reads, with the channel count its energies are summed over on the GPU (1: on the host). */
  private readonly taps = new Map<string, number>();
  private readonly ranges: Map<string, RangeObserver>;
  private readonly energy: Map<string, ChannelEnergy>;
  private readonly readBack: string[];
  private readonly kept = new Map<string, Float32Array[]>();
  /** The model with its observers, by the sample count of a run. */
  private readonly observed = new Map<number, GpuModel>();
  private images = 0;

  constructor(
    private readonly model: GpuModel,
    private readonly layers: readonly QuantLayer[],
    private readonly totalImages: number,
    private readonly options: CalibrationOptions,
  ) {
    this.input = model.model.graph.inputs[0].name;
    this.keepRows = options.keepRows ?? 0;
    // A MatMul/Gemm input's energies are over its last dim, on the GPU; a Conv's over unfolded patches, on the host.
    for (const l of layers) if (!this.taps.has(l.input) || l.kind !== 'conv') this.taps.set(l.input, l.kind === 'conv' ? 1 : l.inFeatures);
    this.ranges = new Map([...this.taps.keys()].map((t, i) => [t, new RangeObserver(RESERVOIR, (options.seed ?? 1) + i)]));
    this.energy = new Map(layers.map((l) => [l.name, new ChannelEnergy(l.inFeatures)]));
    this.readBack = [...new Set(layers.filter((l) => !this.onGpu(l) || this.keepRows > 0).map((l) => l.input))].filter((t) => t !== this.input);
  }

  private onGpu(l: QuantLayer): boolean {
    return l.kind !== 'conv' && this.taps.get(l.input) === l.inFeatures;
  }

  async observe(batch: { pixels: Float32Array; count: number }): Promise<void> {
    // Each run fills its share of the reservoir, so the union is a uniform sample of every image.
    const samples = Math.min(MAX_SAMPLES, Math.max(1, Math.round((RESERVOIR * batch.count) / this.totalImages)));
    let runner = this.observed.get(samples);
    if (!runner) this.observed.set(samples, (runner = this.model.derive(observedModel(this.model.model, this.taps, samples, this.options.seed ?? 1))));
    const { outputs, taps: values } = await runner.run({ [this.input]: batch.pixels }, batch.count, { taps: this.readBack });
    this.images += batch.count;
    for (const [tap, observer] of this.ranges) {
      const [range, , sample] = statNames(tap).map((n) => outputs[n]!.data);
      observer.addSummary(range[0], range[1], sample);
    }
    const inputDims = [batch.count, ...runner.plan(batch.count).shapes.get(this.input)!.dims.slice(1)];
    for (const layer of this.layers) {
      const t = layer.input === this.input ? { dims: inputDims, data: batch.pixels } : values.get(layer.input);
      if (this.onGpu(layer)) {
        this.energy.get(layer.name)!.addSums(outputs[statNames(layer.input)[1]]!.data);
        if (this.keepRows > 0) keepSample(this.kept, layer, rowsOf(t!, layer), this.keepRows);
        continue;
      }
      const weightDims = this.model.model.graph.initializers.get(layer.weight)!.dims;
      const x = layer.kind === 'conv' ? unfoldPatches(t!.data as Float32Array, t!.dims, layer, weightDims) : rowsOf(t!, layer);
      this.energy.get(layer.name)!.add(x.data, x.rows);
      if (this.keepRows > 0) keepSample(this.kept, layer, x, this.keepRows);
    }
  }

  result(): CalibrationResult {
    return {
      images: this.images,
      ranges: this.ranges,
      energy: new Map([...this.energy].map(([name, e]) => [name, e.values(this.images)])),
      inputs: joinKept(this.kept, this.layers),
    };
  }

  dispose(): void {
    for (const runner of this.observed.values()) runner.dispose();
  }
}

function rowsOf(t: HostTensor, layer: QuantLayer): { rows: number; data: Float32Array } {
  return { rows: t.data.length / layer.inFeatures, data: t.data as Float32Array };
}

/** Keeps up to `keepRows` rows of a layer's input, spread over the batch rather than the first image's tokens. */
function keepSample(kept: Map<string, Float32Array[]>, layer: QuantLayer, x: { rows: number; data: Float32Array }, keepRows: number): void {
  const have = (kept.get(layer.name) ?? []).reduce((s, a) => s + a.length / layer.inFeatures, 0);
  if (have >= keepRows) return;
  const take = Math.min(keepRows - have, x.rows);
  const stride = Math.max(1, Math.floor(x.rows / take));
  const rows = new Float32Array(take * layer.inFeatures);
  for (let r = 0; r < take; r++) rows.set(x.data.subarray(r * stride * layer.inFeatures, (r * stride + 1) * layer.inFeatures), r * layer.inFeatures);
  kept.set(layer.name, [...(kept.get(layer.name) ?? []), rows]);
}

function joinKept(kept: Map<string, Float32Array[]>, layers: readonly QuantLayer[]): Map<string, { rows: number; data: Float32Array }> {
  const inputs = new Map<string, { rows: number; data: Float32Array }>();
  for (const [name, parts] of kept) {
    const data = new Float32Array(parts.reduce((s, a) => s + a.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    inputs.set(name, { rows: data.length / layers.find((l) => l.name === name)!.inFeatures, data });
  }
  return inputs;
}
