/** Command-line parsing: `gpu`, `inspect MODEL`, `run MODEL --images DIR`, `eval`, `quantize`. */
import { parseArgs } from 'node:util';
import { TARGET_RULES, TARGETS, type ExportTarget } from '../src/export/targets.ts';
import { CliUsageError } from './errors.ts';

export type Rgb = [number, number, number];

/** The preprocessing flags every image-reading command shares. */
export interface PreprocessFlags {
  size?: [number, number];
  mean?: Rgb;
  std?: Rgb;
  batch: number;
  resize: boolean;
}

export interface QuantizeFlags {
  avgBits: number;
  bits: number[];
  actBits: number | null;
  method: 'defakeq' | 'adaround' | 'rtn';
  solver: 'exact' | 'relaxed';
  error: 'paper' | 'noise' | 'measured' | 'logits';
  /** Calibration images the 'logits' error model measures on. */
  errorImages: number;
  actRange: 'minmax' | 'percentile' | 'mse' | 'auto';
  weightRange: 'auto' | 'minmax' | 'mse';
  reconInputs: 'quantized' | 'fp';
  reconTargets: 'same' | 'float';
  /** DeFakeQ: keep nearest rounding for a block whose learned rounding moves the logits more. */
  roundingCheck: boolean;
  iters: number;
  seed: number;
  calibImages: number;
  /** Reparameterise post-LayerNorm channels before calibrating (outlier channels, low-bit activations). */
  actReparam: boolean;
  /** Float parameters that stay in float (norms, biases, embeddings): rounded to and stored as float16, or kept float32. */
  floatParams: 'fp16' | 'fp32';
  /** What the budget counts: the file's bytes ('export', the default with --out) or the true widths. */
  storage: 'true-width' | 'export';
}

export interface ExportFlags {
  target: ExportTarget;
  format?: 'auto' | 'qdq' | 'nbits';
}

export type Command =
  | { kind: 'help' }
  | ({ kind: 'export'; report: string; out: string; model?: string; json: boolean } & ExportFlags)
  | ({ kind: 'eval'; model: string; data: string; json: boolean; fakeIndex?: number } & PreprocessFlags)
  | ({ kind: 'quantize'; model: string; calib: string; evalData?: string; report?: string; out?: string; json: boolean; fakeIndex?: number } & PreprocessFlags & QuantizeFlags & ExportFlags)
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
  quantize MODEL.onnx --calib DIR (--report R.json | --out Q.onnx | both)
      [preprocessing flags as run]   [--calib-images 256] [--eval DIR] [--fake-index I]
      [--avg-bits 4] [--bits 2,3,4,6,8] [--act-bits 8|none (webgpu, any)] [--act-range auto|percentile|minmax|mse]
      [--method defakeq|adaround|rtn] [--solver exact|relaxed] [--error logits|measured|paper|noise]
      [--error-images 16]            images the logits error model measures each width on
      [--weight-range auto|minmax|mse] [--recon-inputs quantized|fp] [--act-reparam]
      [--recon-targets same|float]   targets of the rounding: W on its own inputs (eq. 7) or the float model's outputs
      [--rounding-check on|off]      DeFakeQ: a block keeps nearest rounding if learned moves the logits more (default off)
      [--float-params fp16|fp32]     norms, biases, embeddings: float16 (default) or float32
      [--iters 300] [--seed 0]
      [--storage export|true-width]  what --avg-bits counts: the file's bytes (default with --out)
                                     or codes at their true width (default without)
      [--target wasm|webgpu|any] [--format auto|qdq|nbits]   the low-bit ONNX written by --out
                                     (R.json also keeps what a later export needs); webgpu and
                                     any keep activations in float (docs/deploy.md)
  export R.json --out DIR            the bundle from a saved run: model.onnx, quant_report.json,
                                     config.json, preprocessor_config.json, onnx/model*.onnx
      [--model MODEL.onnx]           the model quantized (default: the path R.json recorded)
      [--target wasm|webgpu|any] [--format auto|qdq|nbits] [--json]

options for every command: --debug (stack traces), --help`;

const OPTIONS = {
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
  'avg-bits': { type: 'string' },
  bits: { type: 'string' },
  'act-bits': { type: 'string' },
  'act-range': { type: 'string' },
  method: { type: 'string' },
  solver: { type: 'string' },
  error: { type: 'string' },
  'error-images': { type: 'string' },
  iters: { type: 'string' },
  seed: { type: 'string' },
  'calib-images': { type: 'string' },
  'weight-range': { type: 'string' },
  'recon-inputs': { type: 'string' },
  'recon-targets': { type: 'string' },
  target: { type: 'string' },
  format: { type: 'string' },
  model: { type: 'string' },
  'act-reparam': { type: 'boolean' },
  'rounding-check': { type: 'string' },
  'float-params': { type: 'string' },
  storage: { type: 'string' },
} as const;

type Flag = keyof typeof OPTIONS;
const PREPROCESS: Flag[] = ['size', 'mean', 'std', 'batch', 'no-resize'];
const QUANTIZE: Flag[] = ['calib', 'eval', 'report', 'out', 'avg-bits', 'bits', 'act-bits', 'act-range', 'weight-range', 'recon-inputs', 'recon-targets', 'method', 'solver', 'error', 'error-images', 'iters', 'seed', 'calib-images', 'fake-index', 'act-reparam', 'rounding-check', 'float-params', 'target', 'format', 'storage'];
const ALLOWED: Record<string, Flag[]> = {
  run: ['images', ...PREPROCESS],
  eval: ['data', 'fake-index', ...PREPROCESS],
  quantize: [...QUANTIZE, ...PREPROCESS],
  export: ['out', 'model', 'target', 'format'],
};
const COMMON: Flag[] = ['json', 'debug', 'help'];

function oneOf<T extends string>(text: string | undefined, flag: string, choices: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) throw new CliUsageError(`${flag} must be one of ${choices.join(', ')}, got "${text}"`);
  return text as T;
}

function positiveNumber(text: string, flag: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new CliUsageError(`${flag} must be a positive number, got "${text}"`);
  return v;
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

export function parseCommandLine(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    // Node's message goes on about '--' for positionals; its first sentence is the point.
    const first = (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
    throw new CliUsageError(`${first.replace(/\.$/, '')} (see --help)`);
  }
  const { values, positionals } = parsed;
  const debug = values.debug ?? false;
  const json = values.json ?? false;
  const [name, ...rest] = positionals;
  if (values.help || name === 'help') return { command: { kind: 'help' }, debug };
  if (!name) throw new CliUsageError('no command given; expected gpu, inspect, run, eval, quantize or export (see --help)');
  const allowed = [...COMMON, ...(ALLOWED[name] ?? [])];
  const stray = (Object.keys(OPTIONS) as Flag[]).find((flag) => values[flag] !== undefined && !allowed.includes(flag));
  if (stray && (name in ALLOWED || ['gpu', 'inspect'].includes(name))) {
    const users = Object.entries(ALLOWED).filter(([, flags]) => flags.includes(stray)).map(([c]) => c);
    throw new CliUsageError(`--${stray} only applies to the ${users.join(' and ')} command${users.length > 1 ? 's' : ''}`);
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
      if (!values.report && !values.out) throw new CliUsageError('quantize needs --report R.json, --out Q.onnx, or both');
      const bits = (values.bits ?? '2,3,4,6,8').split(',').map((b) => positiveInt(b.trim(), '--bits'));
      if (bits.some((b) => b > 8)) throw new CliUsageError(`--bits takes widths from 1 to 8, got "${values.bits}"`);
      const target = exportFlags().target;
      const floatActivations = !TARGET_RULES[target].activations;
      if (floatActivations && values['act-bits'] !== undefined && values['act-bits'] !== 'none') {
        throw new CliUsageError(`--target ${target} keeps activations in float (docs/deploy.md), so --act-bits ${values['act-bits']} cannot be exported for it; drop --act-bits or use --target wasm`);
      }
      const actBits = values['act-bits'] === undefined ? (floatActivations ? null : 8) : values['act-bits'] === 'none' ? null : positiveInt(values['act-bits'], '--act-bits');
      if (actBits !== null && (actBits < 4 || actBits > 8)) throw new CliUsageError(`--act-bits must be 4..8 or none, got "${values['act-bits']}"`);
      return {
        command: {
          kind: 'quantize', model, calib: values.calib, evalData: values.eval, report: values.report, out: values.out, json, fakeIndex,
          ...preprocessFlags(),
          ...exportFlags(),
          avgBits: values['avg-bits'] !== undefined ? positiveNumber(values['avg-bits'], '--avg-bits') : 4,
          bits,
          actBits,
          method: oneOf(values.method, '--method', ['defakeq', 'adaround', 'rtn'] as const, 'defakeq'),
          solver: oneOf(values.solver, '--solver', ['exact', 'relaxed'] as const, 'exact'),
          error: oneOf(values.error, '--error', ['logits', 'measured', 'paper', 'noise'] as const, 'logits'),
          errorImages: values['error-images'] !== undefined ? positiveInt(values['error-images'], '--error-images') : 16,
          actRange: oneOf(values['act-range'], '--act-range', ['auto', 'percentile', 'minmax', 'mse'] as const, 'auto'),
          weightRange: oneOf(values['weight-range'], '--weight-range', ['auto', 'minmax', 'mse'] as const, 'auto'),
          reconInputs: oneOf(values['recon-inputs'], '--recon-inputs', ['quantized', 'fp'] as const, 'quantized'),
          reconTargets: oneOf(values['recon-targets'], '--recon-targets', ['same', 'float'] as const, 'same'),
          roundingCheck: oneOf(values['rounding-check'], '--rounding-check', ['on', 'off'] as const, 'off') === 'on',
          iters: values.iters !== undefined ? positiveInt(values.iters, '--iters') : 300,
          seed: values.seed !== undefined ? Number(values.seed) : 0,
          calibImages: values['calib-images'] !== undefined ? positiveInt(values['calib-images'], '--calib-images') : 256,
          actReparam: values['act-reparam'] === true,
          floatParams: oneOf(values['float-params'], '--float-params', ['fp16', 'fp32'] as const, 'fp16'),
          storage: oneOf(values.storage, '--storage', ['export', 'true-width'] as const, values.out ? 'export' : 'true-width'),
        },
        debug,
      };
    }
    case 'export': {
      const report = onePositional('saved quantization report (R.json)');
      if (!values.out) throw new CliUsageError('export needs --out DIR (the bundle folder to create)');
      return { command: { kind: 'export', report, out: values.out, model: values.model, json, ...exportFlags() }, debug };
    }
    default:
      throw new CliUsageError(`unknown command "${name}"; expected gpu, inspect, run, eval, quantize or export (see --help)`);
  }
}
