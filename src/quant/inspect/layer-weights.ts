import type { QuantLayer } from '../../model/layers.ts';
import type { Tensor } from '../../onnx/ir.ts';
import { levels } from '../simulation/quantizer.ts';
import { channelsOf, fakeQuantWeight, weightParams, type LayerQuantization, type WeightRange } from '../simulation/simulate.ts';
import { gridOf, histogram, inLevelUnits, roundingCounts, type Histogram, type RoundingCounts } from './weights.ts';

/** More grid lines than this would hide the histogram under them. */
export const MAX_GRID_LINES = 64;

export interface LayerWeights {
  bits: number;
  channels: number;
  /** null: the whole layer in level units (w/s + z, grid 0 … 2^k − 1); a number: that channel's raw values. */
  channel: number | null;
  histogram: Histogram;
  /** Grid positions on the histogram's axis; empty when there are more than MAX_GRID_LINES levels. */
  grid: number[];
  gridLevels: number;
  counts: RoundingCounts;
}

/**
 * One layer's weights against its quantization grid, and its rounding against nearest rounding,
 * from the pipeline's plan entry (W~ when the rounding was learned, nearest rounding otherwise).
 */
export function layerWeights(layer: QuantLayer, weight: Tensor, quant: LayerQuantization, range: WeightRange, channel: number | null): LayerWeights {
  const data = weight.data as Float32Array;
  const params = weightParams(layer, weight, quant.bits, quant.range ?? range);
  const { channels, channelOf } = channelsOf(layer, weight.dims);
  const counts = roundingCounts(data, quant.weight ?? fakeQuantWeight(layer, weight, params), params, channelOf);
  const top = levels(quant.bits);
  const gridLevels = top + 1;
  if (channel === null) {
    return {
      bits: quant.bits, channels, channel, counts, gridLevels,
      histogram: histogram(inLevelUnits(data, params, channelOf), Math.min(256, gridLevels * 8), -0.5, top + 0.5),
      grid: gridLevels <= MAX_GRID_LINES ? Array.from({ length: gridLevels }, (_, q) => q) : [],
    };
  }
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) throw new RangeError(`layer ${layer.name} has channels 0..${channels - 1}, not ${channel}`);
  const values = data.filter((_, i) => channelOf(i) === channel);
  const grid = gridOf(params[channel]);
  const half = params[channel].scale / 2;
  return {
    bits: quant.bits, channels, channel, counts, gridLevels,
    histogram: histogram(values, Math.min(256, Math.max(32, Math.ceil(Math.sqrt(values.length) * 2))), grid[0] - half, grid[top] + half),
    grid: gridLevels <= MAX_GRID_LINES ? grid : [],
  };
}
