import type { GpuModel } from '../../engine/session.ts';
import type { QuantLayer } from '../../model/layers.ts';
import { ChannelEnergy } from '../allocation/importance.ts';
import { RangeObserver } from './observers.ts';

export interface CalibrationResult {
  images: number;
  /** Per layer input tensor. */
  ranges: Map<string, RangeObserver>;
  /** Per layer name: A_j over the layer's input features (eq. 2). */
  energy: Map<string, Float64Array>;
  /** Per layer name: a sample of input rows [rows, inFeatures] for measured errors and reconstruction. */
  inputs: Map<string, { rows: number; data: Float32Array }>;
}

export interface CalibrationOptions {
  /** Rows of each layer's input kept for later stages. */
  keepRows?: number;
  seed?: number;
  onBatch?: (done: number, total: number) => void;
  signal?: AbortSignal;
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

/**
 * Runs the model over the calibration batches with taps on every layer's input, and gathers
 * activation ranges, channel energies and a sample of input rows.
 */
export async function calibrate(
  model: GpuModel,
  layers: readonly QuantLayer[],
  batches: { pixels: Float32Array; count: number }[],
  options: CalibrationOptions = {},
): Promise<CalibrationResult> {
  const input = model.model.graph.inputs[0].name;
  const taps = [...new Set(layers.map((l) => l.input))];
  const ranges = new Map(taps.map((t, i) => [t, new RangeObserver(1 << 16, (options.seed ?? 1) + i)]));
  const energy = new Map<string, ChannelEnergy>();
  const kept = new Map<string, Float32Array[]>();
  const keepRows = options.keepRows ?? 512;
  let images = 0;
  for (const [b, batch] of batches.entries()) {
    if (options.signal?.aborted) throw new DOMException('calibration cancelled', 'AbortError');
    const { taps: values } = await model.run({ [input]: batch.pixels }, batch.count, { taps });
    images += batch.count;
    for (const [name, t] of values) ranges.get(name)!.add(t.data);
    for (const layer of layers) {
      const t = values.get(layer.input)!;
      const weightDims = model.model.graph.initializers.get(layer.weight)!.dims;
      const x = layer.kind === 'conv'
        ? unfoldPatches(t.data as Float32Array, t.dims, layer, weightDims)
        : { rows: t.data.length / layer.inFeatures, data: t.data as Float32Array };
      let e = energy.get(layer.name);
      if (!e) energy.set(layer.name, (e = new ChannelEnergy(layer.inFeatures)));
      e.add(x.data, x.rows);
      const have = (kept.get(layer.name) ?? []).reduce((s, a) => s + a.length / layer.inFeatures, 0);
      if (have < keepRows) {
        const take = Math.min(keepRows - have, x.rows);
        // Spread the kept rows over the batch rather than taking the first image's tokens only.
        const stride = Math.max(1, Math.floor(x.rows / take));
        const rows = new Float32Array(take * layer.inFeatures);
        for (let r = 0; r < take; r++) rows.set(x.data.subarray(r * stride * layer.inFeatures, (r * stride + 1) * layer.inFeatures), r * layer.inFeatures);
        kept.set(layer.name, [...(kept.get(layer.name) ?? []), rows]);
      }
    }
    options.onBatch?.(b + 1, batches.length);
  }
  const inputs = new Map<string, { rows: number; data: Float32Array }>();
  for (const [name, parts] of kept) {
    const total = parts.reduce((s, a) => s + a.length, 0);
    const data = new Float32Array(total);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    const layer = layers.find((l) => l.name === name)!;
    inputs.set(name, { rows: total / layer.inFeatures, data });
  }
  return {
    images,
    ranges,
    energy: new Map([...energy].map(([name, e]) => [name, e.values(images)])),
    inputs,
  };
}
