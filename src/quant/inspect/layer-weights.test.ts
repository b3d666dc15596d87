import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../../model/summary.ts';
import { decodeModel } from '../../onnx/decode.ts';
import { channelsOf, fakeQuantWeight, weightParams } from '../simulation/simulate.ts';
import { layerWeights } from './layer-weights.ts';

const model = decodeModel(new Uint8Array(readFileSync(new URL('../../../tools/fixtures/vit_tiny_op17.onnx', import.meta.url))));
const layers = analyzeModel(model).layers;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('a layer’s weights against its grid', () => {
  for (const name of ['blocks.0.mlp.fc1', 'patch_embed.proj', 'head']) {
    const layer = layers.find((l) => l.name === name)!;
    const weight = model.graph.initializers.get(layer.weight)!;

    it(`${name}: with nearest rounding, puts every weight on the 0…2^k−1 level grid and nothing moved`, () => {
      const view = layerWeights(layer, weight, { bits: 3 }, 'minmax', null);
      expect(view.channels).toBe(layer.outFeatures);
      expect(view.gridLevels).toBe(8);
      expect(view.grid).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(sum(view.histogram.counts)).toBe(layer.inFeatures * layer.outFeatures);
      expect(view.counts).toMatchObject({ total: layer.inFeatures * layer.outFeatures, aboveNearest: 0, belowNearest: 0 });
      expect(view.counts.up + view.counts.down + view.counts.exact).toBe(view.counts.total);
    });
  }

  const layer = layers.find((l) => l.name === 'blocks.0.attn.qkv')!;
  const weight = model.graph.initializers.get(layer.weight)!;

  it('counts the weights a learned rounding moved above or below nearest', () => {
    const params = weightParams(layer, weight, 4);
    const { channelOf } = channelsOf(layer, weight.dims);
    const moved = fakeQuantWeight(layer, weight, params);
    let up = 0;
    let down = 0;
    for (let i = 0; i < moved.length; i += 7) {
      const p = params[channelOf(i)];
      const level = Math.round(moved[i] / p.scale) + p.zeroPoint;
      if (i % 2 === 0 && level < 15) {
        moved[i] = Math.fround(p.scale * (level + 1 - p.zeroPoint));
        up++;
      } else if (i % 2 === 1 && level > 0) {
        moved[i] = Math.fround(p.scale * (level - 1 - p.zeroPoint));
        down++;
      }
    }
    const view = layerWeights(layer, weight, { bits: 4, weight: moved }, 'minmax', null);
    expect(view.counts.aboveNearest).toBe(up);
    expect(view.counts.belowNearest).toBe(down);
    expect(up).toBeGreaterThan(100);
  });

  it('shows one channel in raw values with that channel’s grid', () => {
    const view = layerWeights(layer, weight, { bits: 2 }, 'minmax', 5);
    const params = weightParams(layer, weight, 2)[5];
    expect(view.channel).toBe(5);
    expect(view.grid).toHaveLength(4);
    expect(view.grid).toContain(0);
    expect(view.grid[1] - view.grid[0]).toBeCloseTo(params.scale, 6);
    expect(sum(view.histogram.counts)).toBe(layer.inFeatures);
    expect(view.histogram.lo).toBeCloseTo(view.grid[0] - params.scale / 2, 6);
  });

  it('leaves out a grid too dense to draw, and names a channel that does not exist', () => {
    const view = layerWeights(layer, weight, { bits: 8 }, 'mse', null);
    expect(view.gridLevels).toBe(256);
    expect(view.grid).toEqual([]);
    expect(view.histogram.counts).toHaveLength(256);
    expect(() => layerWeights(layer, weight, { bits: 4 }, 'minmax', 96)).toThrow(/channels 0\.\.95, not 96/);
  });
});
