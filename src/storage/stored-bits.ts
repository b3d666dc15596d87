/**
 * Stored-bit accounting for the bit budget. The budget is "average stored bits per weight",
 * and it counts every bit a quantized layer keeps, not only the b-bit codes:
 *
 *   bits(layer, b) = params * b                                   quantized weight codes
 *                  + outFeatures * scaleBits                       per-channel scale (fp32, or fp16)
 *                  + outFeatures * zeroPointBits(b)                per-channel zero point
 *                  + restoredChannels * (params/outFeatures * 32   VEFT full-precision channel weights
 *                                        + 32)                     and that channel's int32 index
 *                  + biasCount * biasBits                          bias kept in float32 (or float16)
 *
 *   average = sum_l bits(l, b_l) / sum_l params_l
 *
 * Zero points default to b bits: an asymmetric b-bit zero point lies in [0, 2^b - 1], and that is
 * how MatMulNBits packs them and how DequantizeLinear stores them (same type as the codes).
 * `zeroPointBits: 8` charges a whole byte instead, for containers that keep uint8 zero points.
 *
 * A restored channel keeps its quantized codes too (the export adds a small full-precision MatMul
 * to the quantized one), so it costs its float weights and its index on top.
 */

export interface LayerStorage {
  /** Weights in the layer: the denominator of the average. */
  params: number;
  /** Output channels; each carries one scale and one zero point. */
  outFeatures: number;
  /** Bias values kept in float32 (default 0). */
  biasCount?: number;
  /** Output channels also kept in full precision by a later VEFT stage (default 0). */
  restoredChannels?: number;
}

export interface StorageOptions {
  /** Bits per stored scale: float32 (default) or float16. */
  scaleBits?: 32 | 16;
  /** Bits per stored zero point: the weight width (default) or a whole byte. */
  zeroPointBits?: 'weight' | 8;
  /** Bits per stored bias value: float32 (default) or float16. */
  biasBits?: 32 | 16;
}

const FLOAT_BITS = 32;
const INDEX_BITS = 32;

/** bits(layer, b) = perBit * b + fixed: the stored size is affine in the bit width. */
export interface AffineBits {
  perBit: number;
  fixed: number;
}

function checkLayer(layer: LayerStorage, index: number): void {
  const where = `layer ${index}`;
  if (!Number.isInteger(layer.params) || layer.params <= 0) throw new RangeError(`budget: ${where} params must be a positive integer, got ${layer.params}`);
  if (!Number.isInteger(layer.outFeatures) || layer.outFeatures <= 0) {
    throw new RangeError(`budget: ${where} outFeatures must be a positive integer, got ${layer.outFeatures}`);
  }
  if (layer.params % layer.outFeatures !== 0) {
    throw new RangeError(`budget: ${where} has ${layer.params} params, not a multiple of its ${layer.outFeatures} output channels`);
  }
  const restored = layer.restoredChannels ?? 0;
  if (!Number.isInteger(restored) || restored < 0 || restored > layer.outFeatures) {
    throw new RangeError(`budget: ${where} restoredChannels must be an integer in 0..${layer.outFeatures}, got ${restored}`);
  }
  const bias = layer.biasCount ?? 0;
  if (!Number.isInteger(bias) || bias < 0) throw new RangeError(`budget: ${where} biasCount must be a non-negative integer, got ${bias}`);
}

function checkOptions(options: StorageOptions): void {
  const { scaleBits = 32, zeroPointBits = 'weight', biasBits = 32 } = options;
  if (scaleBits !== 32 && scaleBits !== 16) throw new RangeError(`budget: scaleBits must be 32 or 16, got ${String(scaleBits)}`);
  if (biasBits !== 32 && biasBits !== 16) throw new RangeError(`budget: biasBits must be 32 or 16, got ${String(biasBits)}`);
  if (zeroPointBits !== 'weight' && zeroPointBits !== 8) throw new RangeError(`budget: zeroPointBits must be 'weight' or 8, got ${String(zeroPointBits)}`);
}

export function affineStoredBits(layer: LayerStorage, options: StorageOptions = {}, index = 0): AffineBits {
  checkLayer(layer, index);
  checkOptions(options);
  const { scaleBits = 32, zeroPointBits = 'weight', biasBits = 32 } = options;
  const channels = layer.outFeatures;
  const restored = layer.restoredChannels ?? 0;
  const perChannelWeights = layer.params / channels;
  const zeroPerBit = zeroPointBits === 'weight' ? channels : 0;
  const zeroFixed = zeroPointBits === 'weight' ? 0 : channels * zeroPointBits;
  return {
    perBit: layer.params + zeroPerBit,
    fixed:
      channels * scaleBits +
      zeroFixed +
      restored * (perChannelWeights * FLOAT_BITS + INDEX_BITS) +
      (layer.biasCount ?? 0) * biasBits,
  };
}

function checkBits(bits: number, index: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new RangeError(`budget: layer ${index} bit width must be an integer 1..16, got ${bits}`);
}

/** Every stored bit of one layer quantized to `bits`. */
export function layerStoredBits(layer: LayerStorage, bits: number, options: StorageOptions = {}, index = 0): number {
  checkBits(bits, index);
  const { perBit, fixed } = affineStoredBits(layer, options, index);
  return perBit * bits + fixed;
}

export function totalParams(layers: readonly LayerStorage[]): number {
  let total = 0;
  layers.forEach((layer, i) => {
    checkLayer(layer, i);
    total += layer.params;
  });
  return total;
}

/** Total stored bits / total weights, for per-layer widths `bits`. */
export function averageBits(layers: readonly LayerStorage[], bits: readonly number[], options: StorageOptions = {}): number {
  if (layers.length === 0) throw new RangeError('budget: no layers to average over');
  if (bits.length !== layers.length) throw new RangeError(`budget: ${bits.length} bit widths for ${layers.length} layers`);
  let stored = 0;
  layers.forEach((layer, i) => {
    stored += layerStoredBits(layer, bits[i], options, i);
  });
  return stored / totalParams(layers);
}

/**
 * Whether an average meets the target. A relative tolerance of 1e-12 absorbs the float error of
 * B_avg * P, so an allocation landing exactly on the budget is never refused by rounding.
 */
export function withinBudget(average: number, target: number): boolean {
  return average <= target * (1 + 1e-12);
}
