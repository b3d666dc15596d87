import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, PAPER_SETTINGS, settingSpec } from './settings.ts';
import { parseSetting, SettingValueError } from './setting-text.ts';

describe('quant/settings.ts', () => {
  it('and quant/report.ts import only types, so the UI thread loads no engine with them', () => {
    for (const file of ['settings.ts', 'report.ts']) {
      const imports = readFileSync(join(import.meta.dirname, file), 'utf8').match(/^import .*$/gm) ?? [];
      expect(imports.length, file).toBeGreaterThan(0);
      expect(imports.filter((line) => !line.startsWith('import type ')), file).toEqual([]);
    }
  });

  it('gives the defaults of the list, and the paper its relaxed solver on 2^-b', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({ method: 'defakeq', avgBits: 4, candidates: [2, 3, 4, 6, 8], actBits: 8, solver: 'exact', error: 'logits', iters: 300, reconImages: 32, floatParams: 'fp16' });
    expect(PAPER_SETTINGS).toMatchObject({ solver: 'relaxed', error: 'paper', avgBits: 4 });
  });

  it('parses each kind of value, naming the flag and what it takes when a value does not fit', () => {
    expect(parseSetting(settingSpec('actBits'), 'none')).toBeNull();
    expect(parseSetting(settingSpec('actBits'), '6')).toBe(6);
    expect(() => parseSetting(settingSpec('actBits'), '3')).toThrow(new SettingValueError('--act-bits must be an integer from 4 to 8 or none, got "3"'));
    expect(parseSetting(settingSpec('candidates'), '2, 4,8')).toEqual([2, 4, 8]);
    expect(() => parseSetting(settingSpec('candidates'), '2,9')).toThrow('--bits takes comma-separated widths from 1 to 8, got "2,9"');
    expect(parseSetting(settingSpec('avgBits'), '3.5')).toBe(3.5);
    expect(() => parseSetting(settingSpec('avgBits'), '0.5')).toThrow('--avg-bits must be a number of at least 1, got "0.5"');
    expect(() => parseSetting(settingSpec('seed'), '-1')).toThrow('--seed must be a non-negative integer, got "-1"');
    expect(parseSetting(settingSpec('roundingCheck'), 'on')).toBe(true);
    expect(parseSetting(settingSpec('actReparam'), true)).toBe(true);
  });
});
