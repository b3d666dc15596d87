import { describe, expect, it } from 'vitest';
import type { QuantLayer } from '../../model/layers.ts';
import type { ModelCost } from '../../model/flops.ts';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { gateRuns } from '../veft/gate.ts';
import { jointRuns, logitTableCost, MIN_ERROR_IMAGES, MIN_ITERATIONS, reconstructionCost, veftCost, withinBudget } from './stage-costs.ts';

/** A model of `depth` layers of width d over `tokens` rows, each reaching the rest of the model. */
function shaped(depth: number, d: number, tokens: number): { cost: ModelCost; layers: QuantLayer[] } {
  const layers = Array.from({ length: depth }, (_, i) => ({ name: `l${i}`, input: `x${i}`, inFeatures: d, outFeatures: d }) as QuantLayer);
  const flops = 2 * tokens * d * d;
  return {
    cost: { perImage: depth * flops, layers: new Map(layers.map((l, i) => [l.name, { flops, downstream: (depth - i) * flops, rows: tokens }])) },
    layers,
  };
}

describe('stage budget', () => {
  // VEFT's own scaling has its test below; the others read clearer without it.
  const settings = { ...DEFAULT_SETTINGS, veft: false };

  it('leaves a model whose stages fit the budget as it is', () => {
    const { cost, layers } = shaped(4, 96, 65);
    const budget = Math.max(logitTableCost(cost, settings, 16), reconstructionCost(cost, layers, 300, 32));
    const out = withinBudget(cost, layers, settings, budget);
    expect(out.scaled).toEqual([]);
    expect(out.settings).toEqual(settings);
  });

  it('prices VEFT\'s measured activations as whole-model runs of the error images: up to one per activation, and a few', () => {
    const { cost, layers } = shaped(4, 96, 65);
    // Four layers reading four distinct activations: the gate's runs replace the two checks against uniform widths.
    const runs = jointRuns(layers, { method: 'defakeq', veft: true, veftChannels: 'measured' });
    expect(runs).toBe(1 + gateRuns(4));
    expect(jointRuns(layers, { method: 'defakeq', veft: true, veftChannels: 'every' })).toBe(3);
    expect(jointRuns(layers, { method: 'defakeq', veft: false, veftChannels: 'measured' })).toBe(3);
    const gated = { ...DEFAULT_SETTINGS, veft: true, veftChannels: 'measured' as const, iters: 0, veftEpochs: 0 };
    const extra = logitTableCost(cost, gated, 16, runs) - logitTableCost(cost, gated, 16);
    expect(extra).toBe(16 * (runs - 3) * cost.perImage);
    // A budget that fits the table and the uniform check on 16 images fits fewer once the gate's runs are priced.
    const budget = logitTableCost(cost, gated, 16);
    const affordable = Math.floor(budget / logitTableCost(cost, gated, 1, runs));
    expect(affordable).toBeLessThan(16);
    expect(withinBudget(cost, layers, gated, budget).scaled).toEqual([{ setting: 'errorImages', from: 16, to: affordable }]);
  });

  it('takes fewer error images, then one weight range, then the diagonal model, each as the budget shrinks', () => {
    const { cost, layers } = shaped(12, 768, 197);
    const perImage = logitTableCost(cost, settings, 1);
    const fewer = withinBudget(cost, layers, { ...settings, iters: 0 }, 8 * perImage);
    expect(fewer.scaled).toEqual([{ setting: 'errorImages', from: 16, to: 8 }]);
    expect(logitTableCost(cost, fewer.settings, fewer.settings.errorImages!)).toBeLessThanOrEqual(8 * perImage);
    const oneRange = withinBudget(cost, layers, { ...settings, iters: 0 }, 3 * perImage);
    expect(oneRange.scaled.map((c) => c.setting)).toEqual(['weightRange', 'errorImages']);
    expect(oneRange.settings.weightRange).toBe('minmax');
    expect(oneRange.settings.errorImages).toBeGreaterThanOrEqual(MIN_ERROR_IMAGES);
    const diagonal = withinBudget(cost, layers, { ...settings, iters: 0 }, perImage);
    expect(diagonal.scaled).toEqual([{ setting: 'error', from: 'logits', to: 'diagonal' }]);
  });

  it('runs fewer iterations, then learns from fewer images, and keeps nearest rounding when even that does not fit', () => {
    const { cost, layers } = shaped(12, 768, 197);
    const flat = { ...settings, error: 'paper' as const };
    const fewer = withinBudget(cost, layers, flat, reconstructionCost(cost, layers, 120, 32));
    expect(fewer.scaled).toEqual([{ setting: 'iters', from: 300, to: 120 }]);
    // Below the minimum on 32 images: halve the images until the minimum fits (two images fill a minibatch of 256 rows).
    const images = withinBudget(cost, layers, flat, reconstructionCost(cost, layers, MIN_ITERATIONS, 4));
    expect(images.scaled).toEqual([{ setting: 'reconImages', from: 32, to: 4 }, { setting: 'iters', from: 300, to: MIN_ITERATIONS }]);
    const none = withinBudget(cost, layers, flat, reconstructionCost(cost, layers, MIN_ITERATIONS - 1, 2));
    expect(none.settings.iters).toBe(0);
    expect(none.settings.reconImages).toBe(2);
    expect(none.scaled.at(-1)).toEqual({ setting: 'iters', from: 300, to: 0 });
  });

  it("runs as many VEFT tuning steps as the budget affords, and none when not one fits", () => {
    const { cost, layers } = shaped(12, 768, 197);
    const veft = { ...DEFAULT_SETTINGS, error: 'paper' as const, iters: 0, veft: true, veftEpochs: 100 };
    // A step of every block: forward and backward (three passes) on a minibatch of 8 whole images.
    expect(veftCost(cost, 1)).toBe(3 * 8 * cost.perImage);
    const some = withinBudget(cost, layers, veft, veftCost(cost, 40) + 1);
    expect(some.scaled).toEqual([{ setting: 'veftEpochs', from: 100, to: 40 }]);
    expect(withinBudget(cost, layers, veft, veftCost(cost, 100)).scaled).toEqual([]);
    const none = withinBudget(cost, layers, veft, veftCost(cost, 1) / 2);
    expect(none.scaled).toEqual([{ setting: 'veftEpochs', from: 100, to: 0 }]);
    expect(withinBudget(cost, layers, { ...veft, veft: false }, 1).scaled).toEqual([]);
  });
});
