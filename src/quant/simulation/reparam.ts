import type { GpuModel } from '../../engine/session.ts';
import type { QuantLayer } from '../../model/layers.ts';
import type { LayerNormSite } from '../../model/norms.ts';
import { analyzeModel } from '../../model/summary.ts';
import type { Model, Tensor } from '../../onnx/ir.ts';

/**
 * Channel-wise reparameterisation of post-LayerNorm activations (after RepQ-ViT). In large ViTs a
 * few LayerNorm output channels are 10-100x wider than the rest, so one per-tensor activation
 * range spends almost all its levels on them. For every LayerNorm whose output feeds only
 * quantized layers, each channel c is centred and rescaled to the mean half-range H:
 *
 *   X''_c = (X'_c - m_c) / r_c,   m_c = (max_c + min_c) / 2,   r_c = ((max_c - min_c) / 2) / H
 *
 * folded into the norm (gamma_c / r_c, (beta_c - m_c) / r_c) and undone in the next layers
 * (input row c of W times r_c, bias + W m). The float function is unchanged; per-tensor ranges
 * now fit every channel.
 */

export interface ReparamSite {
  norm: LayerNormSite;
  /** The quantized layers reading the norm's output, every one of its consumers. */
  layers: QuantLayer[];
}

/** LayerNorms whose output goes only into quantizable layers with constant weights. */
export function reparamSites(model: Model): ReparamSite[] {
  const structure = analyzeModel(model);
  const init = model.graph.initializers;
  // Consumers that read values; Shape and Size read only the dims, which do not change.
  const consumers = new Map<string, number>();
  for (const node of model.graph.nodes) {
    if (node.opType === 'Shape' || node.opType === 'Size') continue;
    for (const i of node.inputs) if (i) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  }
  const sites: ReparamSite[] = [];
  for (const norm of structure.layerNorms) {
    if (!norm.gamma || !init.has(norm.gamma) || (norm.beta && !init.has(norm.beta))) continue;
    const layers = structure.layers.filter((l) => l.input === norm.output && l.kind !== 'conv' && init.has(l.weight));
    if (layers.length === 0 || layers.length !== consumers.get(norm.output)) continue;
    const channels = init.get(norm.gamma)!.data.length;
    if (layers.some((l) => l.inFeatures !== channels)) continue;
    // A gamma, beta or weight used anywhere else could not change without changing that use.
    const shared = [norm.gamma, norm.beta, ...layers.flatMap((l) => [l.weight, l.bias])].some((t) => t && (consumers.get(t) ?? 0) > 1);
    if (shared) continue;
    sites.push({ norm, layers });
  }
  return sites;
}

export interface ChannelRange {
  lo: Float64Array;
  hi: Float64Array;
}

/** Per-channel min/max of every site's norm output over the calibration images. */
export async function channelRanges(
  fp: GpuModel, sites: readonly ReparamSite[], batches: readonly { pixels: Float32Array; count: number }[], signal?: AbortSignal,
): Promise<Map<string, ChannelRange>> {
  const input = fp.model.graph.inputs[0].name;
  const ranges = new Map<string, ChannelRange>();
  for (const batch of batches) {
    if (signal?.aborted) throw new DOMException('reparameterisation cancelled', 'AbortError');
    const { taps } = await fp.run({ [input]: batch.pixels }, batch.count, { taps: sites.map((s) => s.norm.output) });
    for (const site of sites) {
      const c = site.layers[0].inFeatures;
      const data = taps.get(site.norm.output)!.data;
      let r = ranges.get(site.norm.output);
      if (!r) ranges.set(site.norm.output, (r = { lo: new Float64Array(c).fill(Infinity), hi: new Float64Array(c).fill(-Infinity) }));
      for (let i = 0; i < data.length; i++) {
        const j = i % c;
        if (data[i] < r.lo[j]) r.lo[j] = data[i];
        if (data[i] > r.hi[j]) r.hi[j] = data[i];
      }
    }
  }
  return ranges;
}

/** The centre m_c and factor r_c of every channel (r = 1, m = 0 for a channel that never moved). */
export function channelFactors(range: ChannelRange, shift: boolean): { m: Float64Array; r: Float64Array } {
  const c = range.lo.length;
  const half = Float64Array.from({ length: c }, (_, j) => (range.hi[j] - range.lo[j]) / 2);
  const live = half.filter((h) => h > 0 && Number.isFinite(h));
  const target = live.length ? live.reduce((a, b) => a + b, 0) / live.length : 1;
  const r = Float64Array.from(half, (h) => (h > 0 && Number.isFinite(h) ? h / target : 1));
  const m = Float64Array.from({ length: c }, (_, j) => (shift && half[j] > 0 && Number.isFinite(half[j]) ? (range.hi[j] + range.lo[j]) / 2 : 0));
  return { m, r };
}

const f32 = (t: Tensor, data: Float32Array): Tensor => ({ ...t, dtype: 'float32', data });

/** The model with every site reparameterised by its measured ranges; the same float function. */
export function reparameterize(model: Model, sites: readonly ReparamSite[], ranges: ReadonlyMap<string, ChannelRange>): Model {
  const init = new Map(model.graph.initializers);
  for (const site of sites) {
    const range = ranges.get(site.norm.output);
    if (!range) continue;
    // Centring needs somewhere to put beta's shift and every next layer's bias correction.
    const shift = site.norm.beta !== undefined && site.layers.every((l) => l.bias !== undefined && init.has(l.bias));
    const { m, r } = channelFactors(range, shift);
    const gamma = init.get(site.norm.gamma!)!;
    init.set(gamma.name, f32(gamma, Float32Array.from(gamma.data as Float32Array, (g, c) => g / r[c])));
    if (site.norm.beta) {
      const beta = init.get(site.norm.beta)!;
      init.set(beta.name, f32(beta, Float32Array.from(beta.data as Float32Array, (b, c) => (b - m[c]) / r[c])));
    }
    for (const layer of site.layers) {
      const weight = init.get(layer.weight)!;
      const w = weight.data as Float32Array;
      const K = layer.inFeatures;
      const N = layer.outFeatures;
      const scaled = new Float32Array(w.length);
      const correction = new Float64Array(N);
      for (let k = 0; k < K; k++) {
        for (let n = 0; n < N; n++) {
          // 'KxN': row k is input channel k; 'NxK' (a Linear weight read through Transpose, or Gemm transB): column k.
          const i = layer.layout === 'KxN' ? k * N + n : n * K + k;
          scaled[i] = w[i] * r[k];
          correction[n] += w[i] * m[k];
        }
      }
      init.set(weight.name, f32(weight, scaled));
      if (shift) {
        const bias = init.get(layer.bias!)!;
        init.set(bias.name, f32(bias, Float32Array.from(bias.data as Float32Array, (b, n) => b + correction[n])));
      }
    }
  }
  return { ...model, graph: { ...model.graph, initializers: init } };
}
