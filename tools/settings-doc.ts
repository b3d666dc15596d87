/**
 * Writes docs/settings.md from the settings list (src/quant/settings.ts):
 *   node --import tsx tools/settings-doc.ts        (npm run docs:settings)
 * tools/settings-doc.test.ts fails when the file and the list differ.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SETTINGS, type SettingSpec } from '../src/quant/settings.ts';
import { formatSetting, settingScope, settingValuesText } from '../src/quant/setting-text.ts';

export const SETTINGS_DOC = fileURLToPath(new URL('../docs/settings.md', import.meta.url));

const cell = (text: string) => text.replaceAll('|', '\\|');

function values(spec: SettingSpec): string {
  if (spec.type === 'choice') return spec.choices.map(([v, label]) => `\`${v}\`: ${label}`).join('<br>');
  if (spec.type === 'switch') return spec.cli === 'presence' ? 'flag present: on' : spec.cli === 'negatable' ? `\`--${spec.flag}\` or \`--no-${spec.flag}\`` : '`on`, `off`';
  return `\`${settingValuesText(spec)}\``;
}

function row(spec: SettingSpec): string {
  return `| ${cell(spec.label)} | \`--${spec.flag}\` | ${cell(values(spec))} | \`${cell(formatSetting(spec, spec.default))}\` | ${cell(settingScope(spec))} | ${cell(spec.help)} |`;
}

/** The whole of docs/settings.md. */
export function settingsMarkdown(): string {
  return [
    '# Quantization settings',
    '',
    '<!-- Generated from src/quant/settings.ts by `npm run docs:settings`; edit the list, not this file. -->',
    '',
    'Every setting of a quantization run, as the studio\'s form labels it and as the CLI\'s `quantize`',
    'command takes it. Defaults are the CLI\'s; the studio starts with fewer rounding iterations and',
    'reconstruction images, and counts the budget in the exported file\'s bytes.',
    '',
    '| Setting | CLI flag | Values | Default | Applies to | What it does |',
    '| --- | --- | --- | --- | --- | --- |',
    ...(SETTINGS as readonly SettingSpec[]).map(row),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SETTINGS_DOC, settingsMarkdown());
  console.log(`wrote ${SETTINGS_DOC}`);
}
