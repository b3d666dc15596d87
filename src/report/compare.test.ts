import { describe, expect, it } from 'vitest';
import { compareLayers, compareMetrics, runTitle, settingsDifferences, settingsSummary } from './compare.ts';
import { knownQuantizeReport } from './testing.ts';

describe('two runs side by side', () => {
  const a = knownQuantizeReport();
  const b = { ...knownQuantizeReport(), settings: { ...a.settings, method: 'rtn' as const, avgBits: 8, iters: 100 }, avgBits: 8, modelBytes: 30_000, evaluation: null,
    layers: [{ ...a.layers[1]!, bits: 8 }, { ...a.layers[0]!, bits: 8 }, { ...a.layers[0]!, name: 'extra', bits: 6 }] };

  it('lines up every layer by name, in the first run\'s order, with the other run\'s extra layers last', () => {
    expect(compareLayers(a, b).map((l) => [l.name, l.a, l.b])).toEqual([
      ['patch_embed.proj', 8, 8], ['blocks.0.attn.qkv', 2, 8], ['head<script>alert(1)</script>', 4, null], ['extra', null, 6],
    ]);
  });

  it('pairs the headline metrics, null where a run has no evaluation', () => {
    const m = Object.fromEntries(compareMetrics(a, b).map((p) => [p.key, [p.a, p.b]]));
    expect(m.avgBits).toEqual([3.47, 8]);
    expect(m.modelBytes).toEqual([12_345, 30_000]);
    expect(m.sizeRatio![0]).toBeCloseTo(12_345 / 98_765, 12);
    expect(m.auc).toEqual([0.9609, null]);
    expect(m.agreement).toEqual([0.96875, null]);
  });

  it('lists only the settings that differ, and names runs by method and widths', () => {
    expect(settingsDifferences(a, b)).toEqual([{ key: 'method', a: 'defakeq', b: 'rtn' }, { key: 'avgBits', a: '3.5', b: '8' }]);
    expect(runTitle(a)).toBe('DeFakeQ (mixed) W3.5A8');
    expect(runTitle({ ...b, cancelled: true })).toBe('RTN (uniform) W8A8, cancelled');
    expect(settingsSummary(a)).toBe('iters 100');
    expect(settingsSummary({ ...a, settings: { ...a.settings, iters: 300 } })).toBe('default settings');
  });
});
