/** Uniform widths against a budget: the baselines' allocation, and the budget a uniform width takes. */
import type { QuantLayer } from '../../model/layers.ts';
import type { Model } from '../../onnx/ir.ts';
import { layerCostOf, storageOf, type LayerCost, type StorageSettings } from '../../storage/cost.ts';
import { layerStoredBits } from '../../storage/stored-bits.ts';
import { quantizableLayers } from '../layers.ts';

/** Largest candidate width whose uniform use fits the budget (true-width float32 accounting unless `cost` says otherwise). */
export function uniformBits(layers: readonly QuantLayer[], candidates: readonly number[], budget: number, cost?: LayerCost): number {
  const storage = layers.map((l) => storageOf(l));
  const price = cost ?? ((l: number, b: number) => layerStoredBits(storage[l], b));
  const params = storage.reduce((s, l) => s + l.params, 0);
  const average = (b: number) => layers.reduce((s, _, l) => s + price(l, b), 0) / params;
  const fitting = [...candidates].sort((a, b) => b - a).find((b) => average(b) <= budget + 1e-12);
  if (fitting === undefined) {
    throw new RangeError(`no uniform width fits ${budget} bits per weight; the least, ${Math.min(...candidates)} bits, needs ${average(Math.min(...candidates)).toFixed(3)}`);
  }
  return fitting;
}

/**
 * The stored bits per weight of every layer at `bits` (codes, scales, zero points and biases):
 * the budget at which a uniform b-bit model and a mixed allocation store the same bytes.
 */
export function uniformBudget(model: Model, bits: number, settings: StorageSettings = {}): number {
  const layers = quantizableLayers(model);
  const cost = layerCostOf(model, layers, settings);
  return layers.reduce((s, _, l) => s + cost(l, bits), 0) / layers.reduce((s, l) => s + l.inFeatures * l.outFeatures, 0);
}
