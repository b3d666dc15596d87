/**
 * VEFT's fixed set of restored input channels (docs/veft.md): how many each block activation keeps
 * in float (known before the allocation, so the budget counts them), which ones, and the
 * activation ranges recomputed without them.
 */
import type { QuantLayer } from '../../model/layers.ts';
import { blockOf, type ModelStructure } from '../../model/summary.ts';
import type { CalibrationResult } from '../calibration/calibrate.ts';
import { RangeObserver, type RangeMethod } from '../calibration/observers.ts';
import type { QuantizeSettings } from '../settings.ts';
import type { QuantParams } from '../simulation/quantizer.ts';

export const DEFAULT_VEFT = { fraction: 0.02, tau: 0.1, epochs: 100 } as const;

/** Whether a run restores channels: DeFakeQ with veft on and a fraction above 0. */
export function veftActive(settings: QuantizeSettings): boolean {
  return settings.method === 'defakeq' && settings.veft === true && (settings.veftFraction ?? DEFAULT_VEFT.fraction) > 0;
}

/** Layers VEFT restores input channels of: the MatMul/Gemm layers of recognised transformer blocks. */
export function veftLayer(structure: ModelStructure, layer: QuantLayer): boolean {
  return layer.kind !== 'conv' && structure.blocks.some((b) => b.name === blockOf(layer.name));
}

/** ceil(rho·K) channels of a K-channel activation, leaving at least one quantized. */
export const restoredCount = (inFeatures: number, fraction: number) => Math.min(inFeatures - 1, Math.ceil(fraction * inFeatures - 1e-9));

/** Per layer (state.layers order): the input channels it will keep in float; 0 without VEFT. */
export function restoredCounts(settings: QuantizeSettings, structure: ModelStructure, layers: readonly QuantLayer[]): number[] {
  if (!veftActive(settings)) return layers.map(() => 0);
  const fraction = settings.veftFraction ?? DEFAULT_VEFT.fraction;
  return layers.map((l) => (veftLayer(structure, l) ? restoredCount(l.inFeatures, fraction) : 0));
}

/** A layer's sampled calibration input rows [rows, K]. */
function sampledRows(calibration: CalibrationResult, layer: QuantLayer): { rows: number; data: Float32Array } {
  const rows = calibration.inputs.get(layer.name);
  if (!rows) throw new Error(`VEFT: no calibration rows for layer ${layer.name}`);
  return rows;
}

/**
 * The channels each restored activation keeps in float, ascending, by activation tensor: the
 * `count` channels of largest absolute value on the calibration rows. These are the channels that
 * stretch a per-tensor range; without them every other channel gets a finer step (the importance
 * VEFT's fixed set is chosen by; the tuning's random subsets are drawn from the rest).
 */
export function chooseRestored(calibration: CalibrationResult, layers: readonly QuantLayer[], counts: readonly number[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  layers.forEach((layer, i) => {
    if (counts[i] === 0 || out.has(layer.input)) return;
    const { rows, data } = sampledRows(calibration, layer);
    const K = layer.inFeatures;
    const peak = new Float64Array(K);
    for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) peak[k] = Math.max(peak[k], Math.abs(data[r * K + k]));
    const order = Array.from({ length: K }, (_, k) => k).sort((a, b) => peak[b] - peak[a] || a - b);
    out.set(layer.input, order.slice(0, counts[i]).sort((a, b) => a - b));
  });
  return out;
}

/** Per restored activation: its quantizer's range over the calibration rows without the restored channels. */
export function rangesWithout(
  calibration: CalibrationResult, layers: readonly QuantLayer[], restored: ReadonlyMap<string, readonly number[]>, bits: number, method: RangeMethod, seed: number,
): Map<string, QuantParams> {
  const out = new Map<string, QuantParams>();
  for (const layer of layers) {
    const channels = restored.get(layer.input);
    if (!channels || out.has(layer.input)) continue;
    const { rows, data } = sampledRows(calibration, layer);
    const K = layer.inFeatures;
    const skip = new Set(channels);
    const kept = new Float32Array(rows * (K - skip.size));
    let at = 0;
    for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) if (!skip.has(k)) kept[at++] = data[r * K + k];
    const observer = new RangeObserver(1 << 16, seed);
    observer.add(kept);
    out.set(layer.input, observer.params(bits, method));
  }
  return out;
}
