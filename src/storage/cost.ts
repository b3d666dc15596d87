/**
 * What storing a layer at b bits costs, in stored bits, as a run's settings count it: at the true
 * width (stored-bits.ts) or as the exported file lays it out (layout.ts). The allocator prices
 * widths with it and the export writer stores by the same layouts.
 */
import type { QuantLayer } from '../model/layers.ts';
import type { Model } from '../onnx/ir.ts';
import { worthHalving, type FloatParams } from './half-floats.ts';
import { exportCost, layerShapes, type WeightFormat } from './layout.ts';
import { layerStoredBits, type LayerStorage, type StorageOptions } from './stored-bits.ts';

/** The settings that decide what a stored bit costs (see QuantizeSettings). */
export interface StorageSettings {
  /** 'true-width' (default): codes at their true width; 'export': the bytes of the exported file. */
  storage?: 'true-width' | 'export';
  /** The weight format an 'export' budget prices (default 'auto'). */
  exportFormat?: WeightFormat;
  floatParams?: FloatParams;
}

/** A layer's storage at its true width: its weights, output channels and bias values. */
export function storageOf(layer: QuantLayer, floatParams?: FloatParams): LayerStorage {
  const weights = layer.inFeatures * layer.outFeatures;
  const bias = layer.params - weights;
  // With float16 biases, one too small to be stored so (half-floats.ts) counts as two halves.
  const halves = floatParams === 'fp16' && layer.bias && !worthHalving(layer.bias, bias) ? 2 : 1;
  return { params: weights, outFeatures: layer.outFeatures, biasCount: bias * halves };
}

export function storageOptions(floatParams?: FloatParams): StorageOptions {
  return floatParams === 'fp16' ? { biasBits: 16 } : {};
}

/** Stored bits of layer l at b bits, as the settings count them (see QuantizeSettings.storage). */
export type LayerCost = (layer: number, bits: number) => number;

/** Bits of index (int64, as the export's Gather reads it) per restored input channel. */
const RESTORED_INDEX_BITS = 64;

/** The initializer holding a layer's restored float columns (VEFT), in the simulation and the export. */
export const restoredWeightName = (weight: string) => `${weight}_restored_weight`;

/**
 * Stored bits of `count` restored input channels of a layer (VEFT): each keeps its weight column
 * (outFeatures values) in float (float16 with floatParams 'fp16' when the tensor is worth a Cast,
 * as the export decides) and its index.
 */
export function restoredChannelBits(layer: QuantLayer, count: number, floatParams?: FloatParams): number {
  if (count === 0) return 0;
  const values = count * layer.outFeatures;
  const half = floatParams === 'fp16' && worthHalving(restoredWeightName(layer.weight), values);
  return values * (half ? 16 : 32) + count * RESTORED_INDEX_BITS;
}

/** `restored[l]`: input channels of layer l kept in float (VEFT), counted on top of its codes. */
export function layerCostOf(model: Model, layers: readonly QuantLayer[], settings: StorageSettings, restored?: readonly number[]): LayerCost {
  const extra = layers.map((l, i) => restoredChannelBits(l, restored?.[i] ?? 0, settings.floatParams));
  if (settings.storage === 'export') {
    const cost = exportCost(layerShapes(model, layers, settings.floatParams), settings.exportFormat ?? 'auto');
    return (l, b) => cost(l, b) + extra[l];
  }
  const storage = layers.map((l) => storageOf(l, settings.floatParams));
  const options = storageOptions(settings.floatParams);
  return (l, b) => layerStoredBits(storage[l], b, options) + extra[l];
}
