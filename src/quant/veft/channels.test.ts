import { describe, expect, it } from 'vitest';
import type { QuantLayer } from '../../model/layers.ts';
import type { ModelStructure } from '../../model/summary.ts';
import { restoredChannelBits } from '../../storage/cost.ts';
import type { CalibrationResult } from '../calibration/calibrate.ts';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { chooseRestored, rangesWithout, restoredCount, restoredCounts } from './channels.ts';

const layer = (name: string, input: string, K: number, N: number): QuantLayer => ({ name, input, inFeatures: K, outFeatures: N, kind: 'matmul' }) as QuantLayer;
const K = 8;
const rows = 50;
// Channels 2 and 5 are outliers: 20 times the others.
const data = Float32Array.from({ length: rows * K }, (_, i) => Math.sin(i * 0.7) * ([2, 5].includes(i % K) ? 20 : 1));
const q = layer('blocks.0.attn.qkv', 'ln1', K, 12);
const k = layer('blocks.0.other', 'ln1', K, 4);
const head = layer('head', 'norm', K, 2);
const calibration = { inputs: new Map([[q.name, { rows, data }], [k.name, { rows, data }], [head.name, { rows, data }]]) } as unknown as CalibrationResult;
const structure = { blocks: [{ name: 'blocks.0', layers: [], attention: [] }] } as unknown as ModelStructure;

describe('VEFT fixed channels', () => {
  it('counts ceil(rho K) per block layer, none outside blocks or with veft off', () => {
    expect(restoredCount(96, 0.02)).toBe(2);
    expect(restoredCount(192, 0.01)).toBe(2);
    expect(restoredCount(4, 0.5)).toBe(2);
    expect(restoredCount(2, 0.9)).toBe(1);
    const settings = { ...DEFAULT_SETTINGS, veft: true, veftFraction: 0.25 };
    expect(restoredCounts(settings, structure, [q, k, head])).toEqual([2, 2, 0]);
    expect(restoredCounts({ ...settings, veft: false }, structure, [q, k, head])).toEqual([0, 0, 0]);
    expect(restoredCounts({ ...settings, method: 'adaround' }, structure, [q, k, head])).toEqual([0, 0, 0]);
  });

  it('picks the channels that stretch the range, once per activation, and ranges the rest', () => {
    const fixed = chooseRestored(calibration, [q, k, head], [2, 2, 0]);
    expect([...fixed]).toEqual([['ln1', [2, 5]]]);
    const narrowed = rangesWithout(calibration, [q, k], fixed, 4, 'minmax', 1).get('ln1')!;
    const full = rangesWithout(calibration, [q, k], new Map([['ln1', []]]), 4, 'minmax', 1).get('ln1')!;
    expect(narrowed.scale).toBeLessThan(full.scale / 10);
  });

  it('are priced as float columns and int64 indices on top of the codes, float16 where the export halves them', () => {
    const wide = { ...layer('blocks.0.fc1', 'ln2', K, 100), weight: 'w' };
    expect(restoredChannelBits(wide, 2, 'fp16')).toBe(2 * (100 * 16 + 64));
    expect(restoredChannelBits(wide, 3)).toBe(3 * (100 * 32 + 64));
    // Too small to pay for a Cast: stays float32.
    expect(restoredChannelBits({ ...q, weight: 'w' }, 2, 'fp16')).toBe(2 * (12 * 32 + 64));
    expect(restoredChannelBits(wide, 0, 'fp16')).toBe(0);
  });
});
