/** Command-line parsing: `gpu`, `inspect MODEL`, `run MODEL --images DIR`, `eval`, `quantize`, `export`, `report`, `explain`. */
import { parseArgs } from 'node:util';
import { SETTINGS, type SettingSpec, type SettingValues } from '../src/quant/settings.ts';
import { formatSetting, parseSetting, SettingValueError, settingScope, settingValuesText } from '../src/quant/setting-text.ts';
import { TARGET_RULES, TARGETS, type ExportTarget } from '../src/export/targets.ts';
import { CliUsageError } from './errors.ts';
import { isMapMethod, MAP_METHODS, type MapMethod } from '../src/explain/methods.ts';

export type Rgb = [number, number, number];

/** The preprocessing flags every image-reading command shares. */
export interface PreprocessFlags {
  size?: [number, number];
  mean?: Rgb;
  std?: Rgb;
  batch: number;
  resize: boolean;
}

/** Every quantization setting (src/quant/settings.ts), plus how many calibration images to read. */
export type QuantizeFlags = SettingValues & { calibImages: number };

export interface ExportFlags {
  target: ExportTarget;
  format?: 'auto' | 'qdq' | 'nbits';
}

export type Command =
  | { kind: 'help' }
  | ({ kind: 'export'; report: string; out: string; model?: string; json: boolean } & ExportFlags)
  | ({ kind: 'eval'; model: string; data: string; json: boolean; fakeIndex?: number } & PreprocessFlags)
  | ({ kind: 'quantize'; model: string; calib: string; evalData?: string; report?: string; out?: string; html?: string; json: boolean; fakeIndex?: number } & PreprocessFlags & QuantizeFlags & ExportFlags)
  | { kind: 'report'; report: string; html: string }
  | ({ kind: 'explain'; model: string; images: string; quantized?: string; method: MapMethod; out: string; json: boolean; fakeIndex?: number; faithfulness: boolean } & PreprocessFlags)
  | { kind: 'gpu'; json: boolean }
  | { kind: 'inspect'; model: string; json: boolean }
  | {
      kind: 'run';
      model: string;
      images: string;
      json: boolean;
      size?: [number, number];
      mean?: Rgb;
      std?: Rgb;
      batch: number;
      resize: boolean;
    };

export interface ParsedArgs {
  command: Command;
  debug: boolean;
}

const HELP_INDENT = ' '.repeat(6);
const HELP_COLUMN = 37;
const HELP_WIDTH = 110;

/** Text wrapped to HELP_WIDTH, every line but the first starting at HELP_COLUMN. */
function wrapped(text: string, start: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && (lines.length ? HELP_COLUMN : start) + line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(HELP_COLUMN)}`);
}

function settingHelp(spec: SettingSpec): string {
  const values = settingValuesText(spec);
  const negatable = spec.type === 'switch' && spec.cli === 'negatable' ? ` | --no-${spec.flag}` : '';
  const usage = `${HELP_INDENT}[--${spec.flag}${values ? ` ${values}` : ''}${negatable}]`;
  const scope = spec.methods.length < 3 || spec.when ? `For ${settingScope(spec)}` : '';
  const defaultText = spec.type === 'switch' && spec.cli !== 'on-off' ? (spec.default ? 'on by default' : '') : `default ${formatSetting(spec, spec.default)}`;
  const notes = [scope, defaultText].filter(Boolean).join('; ');
  const text = notes ? `${spec.help} ${notes.charAt(0).toUpperCase()}${notes.slice(1)}.` : spec.help;
  return usage.length < HELP_COLUMN - 1 ? `${usage.padEnd(HELP_COLUMN)}${wrapped(text, HELP_COLUMN)}` : `${usage}\n${' '.repeat(HELP_COLUMN)}${wrapped(text, HELP_COLUMN)}`;
}

/** The quantize command's settings, one per line, from the settings list. */
function settingsHelp(): string {
  return SETTINGS.map(settingHelp).join('\n');
}

export const USAGE = `usage: npm run cli -- <command> [options]

commands:
  gpu [--json]                       show the WebGPU adapter
  inspect MODEL.onnx [--json]        layers, blocks, attention cores and op histogram
  run MODEL.onnx --images DIR        logits for every image in DIR, sorted by file name
      [--size S | --size HxW]        resize to this (default: preprocessor_config.json beside
                                     the model, else the model's input size)
      [--mean a,b,c] [--std a,b,c]   normalisation (default: the config, else 0.5,0.5,0.5)
      [--batch N]                    images per GPU run (default 8)
      [--no-resize]                  require images to have the model's size already
      [--json]                       print {"images": [...], "logits": [[...], ...]}
  eval MODEL.onnx --data DIR         accuracy and ROC-AUC on DIR/real and DIR/fake
      [preprocessing flags as run] [--json]                 ({"auc": x, "accuracy": y, "n": z})
      [--fake-index I]               the fake class (default: the one config.json beside the model names, else 1)
  quantize MODEL.onnx --calib DIR (--report R.json | --out Q.onnx | --html R.html, any of them)
      [preprocessing flags as run]   [--calib-images 256] [--eval DIR] [--fake-index I]
      [--target wasm|webgpu|any] [--format auto|qdq|nbits]   the low-bit ONNX written by --out
                                     (R.json also keeps what a later export needs); webgpu and
                                     any keep activations in float (docs/deploy.md)
      [--html R.html]                the report as one self-contained HTML page (charts, tables, hashes)
      [settings below; docs/settings.md]
${settingsHelp()}
  export R.json --out DIR            the bundle from a saved run: model.onnx, quant_report.json,
                                     config.json, preprocessor_config.json, onnx/model*.onnx
      [--model MODEL.onnx]           the model quantized (default: the path R.json recorded)
      [--target wasm|webgpu|any] [--format auto|qdq|nbits] [--json]
  report R.json --html R.html        the HTML report of a saved run (R.json, or an export's quant_report.json)
  explain MODEL.onnx --images DIR --out DIR   a relevance heatmap (PNG, at the image's size) per
                                     image in DIR and maps.json (docs/explanations.md)
      [--method rollout|attention|gradient]   (default rollout)
      [--quantized Q.onnx]           the quantized model too: its heatmaps, the difference, and
                                     their agreement (rank correlation, top-k overlap) per block
      [--faithfulness]               deletion and insertion curves of each map (2x17 runs per image)
      [preprocessing flags as run] [--fake-index I]

options for every command: --debug (stack traces), --help`;

const BASE_OPTIONS = {
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  images: { type: 'string' },
  size: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  batch: { type: 'string' },
  'no-resize': { type: 'boolean' },
  data: { type: 'string' },
  calib: { type: 'string' },
  eval: { type: 'string' },
  report: { type: 'string' },
  out: { type: 'string' },
  'fake-index': { type: 'string' },
  'calib-images': { type: 'string' },
  target: { type: 'string' },
  format: { type: 'string' },
  model: { type: 'string' },
  quantized: { type: 'string' },
  faithfulness: { type: 'boolean' },
  html: { type: 'string' },
} as const;

const SETTING_OPTIONS = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: s.type === 'switch' && s.cli !== 'on-off' ? 'boolean' : 'string' }])) as Record<string, { type: 'string' | 'boolean' }>;
const OPTIONS = { ...SETTING_OPTIONS, ...BASE_OPTIONS };

type Flag = string;
const PREPROCESS: Flag[] = ['size', 'mean', 'std', 'batch', 'no-resize'];
const QUANTIZE: Flag[] = ['calib', 'eval', 'report', 'out', 'html', 'calib-images', 'fake-index', 'target', 'format', ...SETTINGS.map((s) => s.flag)];
const ALLOWED: Record<string, Flag[]> = {
  run: ['images', ...PREPROCESS],
  eval: ['data', 'fake-index', ...PREPROCESS],
  quantize: [...QUANTIZE, ...PREPROCESS],
  export: ['out', 'model', 'target', 'format'],
  report: ['html'],
  explain: ['images', 'quantized', 'method', 'out', 'fake-index', 'faithfulness', ...PREPROCESS],
};
const COMMON: Flag[] = ['json', 'debug', 'help'];

function oneOf<T extends string>(text: string | undefined, flag: string, choices: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) throw new CliUsageError(`${flag} must be one of ${choices.join(', ')}, got "${text}"`);
  return text as T;
}

function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new CliUsageError(`${flag} must be a positive integer, got "${text}"`);
  return Number(text);
}

function parseSize(text: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/i.exec(text);
  if (!m) throw new CliUsageError(`--size must be S or HxW (e.g. 224 or 224x224), got "${text}"`);
  const h = positiveInt(m[1]!, '--size');
  return [h, m[2] ? positiveInt(m[2], '--size') : h];
}

function parseRgb(text: string, flag: string): Rgb {
  const parts = text.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  if ((parts.length !== 1 && parts.length !== 3) || parts.some((p) => p === '') || !values.every(Number.isFinite)) {
    throw new CliUsageError(`${flag} must be one number or three comma-separated numbers (a,b,c), got "${text}"`);
  }
  return (values.length === 1 ? [values[0], values[0], values[0]] : values) as Rgb;
}

/** The quantize settings from their flags; the budget counts the file's bytes by default when there is one (--out). */
function settingFlags(values: Record<string, string | boolean | undefined>, writesFile: boolean): SettingValues {
  const settings = SETTINGS.map((spec) => {
    const text = values[spec.flag];
    if (text === undefined) return [spec.key, spec.key === 'storage' && writesFile ? 'export' : structuredClone(spec.default)];
    try {
      return [spec.key, parseSetting(spec, text)];
    } catch (e) {
      if (e instanceof SettingValueError) throw new CliUsageError(e.message);
      throw e;
    }
  });
  return Object.fromEntries(settings) as SettingValues;
}

/**
 * webgpu and any keep activations in float (src/export/targets.ts): their runs quantize weights
 * only, and an explicit activation width is refused before any work.
 */
function targetActivations(settings: SettingValues, target: ExportTarget, actBitsFlag: string | undefined): SettingValues {
  if (TARGET_RULES[target].activations) return settings;
  if (actBitsFlag !== undefined && actBitsFlag !== 'none') {
    throw new CliUsageError(`--target ${target} keeps activations in float (docs/deploy.md), so --act-bits ${actBitsFlag} cannot be exported for it; drop --act-bits or use --target wasm`);
  }
  return { ...settings, actBits: null };
}

function readArgs(argv: string[]) {
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, allowNegative: true, strict: true });
    // allowNegative (for --no-veft) reads --no-resize as resize = false: keep it the flag it is.
    const values = parsed.values as Record<string, unknown>;
    if (values.resize === false) {
      delete values.resize;
      values['no-resize'] = true;
    }
    return parsed;
  } catch (e) {
    // Node's message goes on about '--' for positionals; its first sentence is the point.
    const first = (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
    throw new CliUsageError(`${first.replace(/\.$/, '')} (see --help)`);
  }
}

export function parseCommandLine(argv: string[]): ParsedArgs {
  const { values, positionals } = readArgs(argv);
  const given = values as Record<string, string | boolean | undefined>;
  const debug = values.debug ?? false;
  const json = values.json ?? false;
  const [name, ...rest] = positionals;
  if (values.help || name === 'help') return { command: { kind: 'help' }, debug };
  if (!name) throw new CliUsageError('no command given; expected gpu, inspect, run, eval, quantize, export, report or explain (see --help)');
  const allowed = [...COMMON, ...(ALLOWED[name] ?? [])];
  const stray = (Object.keys(OPTIONS) as Flag[]).find((flag) => given[flag] !== undefined && !allowed.includes(flag));
  if (stray && (name in ALLOWED || ['gpu', 'inspect'].includes(name))) {
    const users = Object.entries(ALLOWED).filter(([, flags]) => flags.includes(stray)).map(([c]) => c);
    const list = users.length > 1 ? `${users.slice(0, -1).join(', ')} and ${users[users.length - 1]}` : users[0];
    throw new CliUsageError(`--${stray} only applies to the ${list} command${users.length > 1 ? 's' : ''}`);
  }
  const preprocessFlags = (): PreprocessFlags => ({
    size: values.size !== undefined ? parseSize(values.size) : undefined,
    mean: values.mean !== undefined ? parseRgb(values.mean, '--mean') : undefined,
    std: values.std !== undefined ? parseRgb(values.std, '--std') : undefined,
    batch: values.batch !== undefined ? positiveInt(values.batch, '--batch') : 8,
    resize: !values['no-resize'],
  });
  const exportFlags = (): ExportFlags => {
    const target = oneOf(values.target, '--target', TARGETS, 'wasm');
    const format = values.format === undefined ? undefined : oneOf(values.format, '--format', ['auto', 'qdq', 'nbits'] as const, 'auto');
    const formats = TARGET_RULES[target].formats;
    if (format && !formats.includes(format)) throw new CliUsageError(`--target ${target} stores weights as ${formats.join(' or ')} only, got --format ${format}`);
    return { target, format };
  };
  // Without the flag, the class config.json beside the model names as fake, else 1 (see fakeIndexFor).
  const fakeIndex = values['fake-index'] !== undefined ? Number(values['fake-index']) : undefined;
  if (fakeIndex !== undefined && (!Number.isInteger(fakeIndex) || fakeIndex < 0)) throw new CliUsageError(`--fake-index must be a class index (0, 1, ...), got "${values['fake-index']}"`);
  const onePositional = (what: string) => {
    if (rest.length === 0) throw new CliUsageError(`${name} needs a ${what}`);
    if (rest.length > 1) throw new CliUsageError(`${name} takes one ${what}, got extra arguments: ${rest.slice(1).join(' ')}`);
    return rest[0]!;
  };
  switch (name) {
    case 'gpu':
      if (rest.length) throw new CliUsageError(`gpu takes no arguments, got: ${rest.join(' ')}`);
      return { command: { kind: 'gpu', json }, debug };
    case 'inspect':
      return { command: { kind: 'inspect', model: onePositional('model file (MODEL.onnx)'), json }, debug };
    case 'run': {
      const model = onePositional('model file (MODEL.onnx)');
      if (!values.images) throw new CliUsageError('run needs --images DIR');
      return { command: { kind: 'run', model, images: values.images, json, ...preprocessFlags() }, debug };
    }
    case 'eval': {
      const model = onePositional('model file (MODEL.onnx)');
      if (!values.data) throw new CliUsageError('eval needs --data DIR (with real/ and fake/ inside)');
      return { command: { kind: 'eval', model, data: values.data, json, fakeIndex, ...preprocessFlags() }, debug };
    }
    case 'quantize': {
      const model = onePositional('model file (MODEL.onnx)');
      if (!values.calib) throw new CliUsageError('quantize needs --calib DIR (calibration images)');
      if (!values.report && !values.out && !values.html) throw new CliUsageError('quantize needs --report R.json, --out Q.onnx, --html R.html, or several of them');
      const targetFlags = exportFlags();
      return {
        command: {
          kind: 'quantize', model, calib: values.calib, evalData: values.eval, report: values.report, out: values.out, html: values.html, json, fakeIndex,
          ...preprocessFlags(),
          ...targetFlags,
          ...targetActivations(settingFlags(given, values.out !== undefined), targetFlags.target, given['act-bits'] as string | undefined),
          calibImages: values['calib-images'] !== undefined ? positiveInt(values['calib-images'], '--calib-images') : 256,
        },
        debug,
      };
    }
    case 'export': {
      const report = onePositional('saved quantization report (R.json)');
      if (!values.out) throw new CliUsageError('export needs --out DIR (the bundle folder to create)');
      return { command: { kind: 'export', report, out: values.out, model: values.model, json, ...exportFlags() }, debug };
    }
    case 'report': {
      const report = onePositional('saved report (R.json or quant_report.json)');
      if (!values.html) throw new CliUsageError('report needs --html R.html (the page to write)');
      return { command: { kind: 'report', report, html: values.html }, debug };
    }
    case 'explain': {
      const model = onePositional('model file (MODEL.onnx)');
      if (!values.images) throw new CliUsageError('explain needs --images DIR');
      if (!values.out) throw new CliUsageError('explain needs --out DIR (the folder for the heatmaps and maps.json)');
      const method = (given.method as string | undefined) ?? 'rollout';
      if (!isMapMethod(method)) throw new CliUsageError(`--method must be one of ${MAP_METHODS.map((m) => m.id).join(', ')} for explain, got "${method}"`);
      return {
        command: { kind: 'explain', model, images: values.images, quantized: values.quantized, method, out: values.out, json, fakeIndex, faithfulness: values.faithfulness === true, ...preprocessFlags() },
        debug,
      };
    }
    default:
      throw new CliUsageError(`unknown command "${name}"; expected gpu, inspect, run, eval, quantize, export, report or explain (see --help)`);
  }
}
