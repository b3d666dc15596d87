import { readFileSync } from 'node:fs';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { parseCommandLine, USAGE } from '../cli/args.ts';
import { DEFAULT_SETTINGS, SETTINGS, type SettingSpec } from '../src/quant/settings.ts';
import { formatSetting } from '../src/quant/setting-text.ts';
import { SettingsFields } from '../src/ui/SettingsForm.tsx';
import { SETTINGS_DOC, settingsMarkdown } from './settings-doc.ts';

const specs = SETTINGS as readonly SettingSpec[];
/** The quantize flags that are not settings: where the images come from and what is written. */
const DATA_FLAGS = ['calib', 'report', 'out', 'html', 'calib-images', 'eval', 'fake-index', 'target', 'format'];

describe('the settings list', () => {
  it('is what the CLI help lists for quantize, besides its data flags', () => {
    const section = USAGE.slice(USAGE.indexOf('  quantize MODEL.onnx'), USAGE.indexOf('  export R.json'));
    const flags = new Set([...section.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]));
    const negated = specs.filter((s) => s.type === 'switch' && s.cli === 'negatable').map((s) => `no-${s.flag}`);
    expect([...flags].sort()).toEqual([...DATA_FLAGS, ...specs.map((s) => s.flag), ...negated].sort());
    for (const spec of specs) expect(section).toContain(spec.help.split(' ').slice(0, 4).join(' '));
  });

  it('is what the CLI parser takes, each default given back as itself', () => {
    const base = ['quantize', 'm.onnx', '--calib', 'c', '--report', 'r.json'];
    for (const spec of specs) {
      const text = formatSetting(spec, spec.default);
      const argv = spec.type === 'switch' && spec.cli !== 'on-off' ? base : [...base, `--${spec.flag}`, text];
      expect(parseCommandLine(argv).command, spec.flag).toMatchObject({ [spec.key]: DEFAULT_SETTINGS[spec.key] });
    }
  });

  it("is the studio form's fields, in order, each labelled and explained", () => {
    const html = renderToStaticMarkup(createElement(SettingsFields, { settings: DEFAULT_SETTINGS, update: () => {}, disabled: false }));
    const rows = [...html.matchAll(/data-setting="([^"]+)"/g)].map((m) => m[1]);
    expect(rows).toEqual(specs.map((s) => s.key));
    const labels = [...html.matchAll(/<(?:label for="q-[^"]+"|span class="label" id="q-[^"]+")>([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(specs.map((s) => s.label));
    for (const spec of specs) expect(html).toContain(`id="q-${spec.flag}-hint"`);
  });

  it('is docs/settings.md, which is up to date (npm run docs:settings)', () => {
    const doc = readFileSync(SETTINGS_DOC, 'utf8');
    const rows = doc.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Setting') && !l.startsWith('| ---'));
    expect(rows.map((r) => r.split(' | ')[1])).toEqual(specs.map((s) => `\`--${s.flag}\``));
    expect(doc).toBe(settingsMarkdown());
  });
});
