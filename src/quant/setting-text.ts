/**
 * Settings as text: parsing a CLI value into a setting's value (with the flag named when it does not
 * fit), and writing values and scopes the way the CLI help and docs/settings.md show them.
 */
import { METHODS, type NumberSpec, type SettingSpec } from './settings.ts';

/** A value that does not fit its setting; the message names the CLI flag. */
export class SettingValueError extends Error {
  override name = 'SettingValueError';
}

/** What a number setting accepts, in words: "a positive integer", "an integer from 4 to 8 or none". */
function numberRange(spec: NumberSpec): string {
  const kind = spec.integer ? 'integer' : 'number';
  let range: string;
  if (spec.max !== undefined) range = `${spec.integer ? 'an' : 'a'} ${kind} from ${spec.min} to ${spec.max}`;
  else if (spec.integer && spec.min === 1) range = 'a positive integer';
  else if (spec.integer && spec.min === 0) range = 'a non-negative integer';
  else range = `a ${kind} of at least ${spec.min}`;
  return spec.none ? `${range} or ${spec.none.text}` : range;
}

function parseNumber(spec: NumberSpec, text: string): number | null {
  if (spec.none && text === spec.none.text) return null;
  const value = Number(text);
  const valid = text.trim() !== '' && (spec.integer ? /^\d+$/.test(text) : Number.isFinite(value)) && value >= spec.min && (spec.max === undefined || value <= spec.max);
  if (!valid) throw new SettingValueError(`--${spec.flag} must be ${numberRange(spec)}, got "${text}"`);
  return value;
}

/**
 * A setting's value from its CLI text (a presence switch: true when given). Throws
 * SettingValueError, naming the flag and what it takes, for a value that does not fit.
 */
export function parseSetting(spec: SettingSpec, text: string | boolean): unknown {
  if (spec.type === 'switch' && typeof text === 'boolean') return text;
  const raw = String(text);
  switch (spec.type) {
    case 'choice':
    case 'switch': {
      const values = spec.type === 'choice' ? spec.choices.map(([v]) => v) : ['on', 'off'];
      if (!values.includes(raw)) throw new SettingValueError(`--${spec.flag} must be one of ${values.join(', ')}, got "${raw}"`);
      return spec.type === 'switch' ? raw === 'on' : raw;
    }
    case 'number':
      return parseNumber(spec, raw);
    case 'widths': {
      const widths = raw.split(',').map((w) => w.trim());
      if (widths.some((w) => !/^\d+$/.test(w) || Number(w) < spec.min || Number(w) > spec.max)) {
        throw new SettingValueError(`--${spec.flag} takes comma-separated widths from ${spec.min} to ${spec.max}, got "${raw}"`);
      }
      return widths.map(Number);
    }
  }
}

/** The values a setting takes, as the CLI help and the docs write them. */
export function settingValuesText(spec: SettingSpec): string {
  switch (spec.type) {
    case 'choice':
      return spec.choices.map(([v]) => v).join('|');
    case 'switch':
      return spec.cli === 'on-off' ? 'on|off' : '';
    case 'number': {
      const range = spec.max !== undefined ? `${spec.min}..${spec.max}` : `${spec.integer ? 'N' : 'x'} >= ${spec.min}`;
      return spec.none ? `${range}|${spec.none.text}` : range;
    }
    case 'widths':
      return `b,b,... (${spec.min}..${spec.max})`;
  }
}

/** A value of a setting as the CLI would take it. */
export function formatSetting(spec: SettingSpec, value: unknown): string {
  if (spec.type === 'switch') return value ? 'on' : 'off';
  if (value === null && spec.type === 'number' && spec.none) return spec.none.text;
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Which methods a setting applies to, and when, in words. */
export function settingScope(spec: SettingSpec): string {
  const methods = spec.methods.length === METHODS.length ? 'all methods' : spec.methods.join(', ');
  return spec.when ? `${methods}, with ${spec.when.text}` : methods;
}
