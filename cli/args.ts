/** Command-line parsing: `gpu`, `inspect MODEL`, `run MODEL --images DIR`. */
import { parseArgs } from 'node:util';
import { CliUsageError } from './errors.ts';

export type Rgb = [number, number, number];

export type Command =
  | { kind: 'help' }
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
} as const;

const RUN_ONLY = ['images', 'size', 'mean', 'std', 'batch', 'no-resize'] as const;

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
  if (!name) throw new CliUsageError('no command given; expected gpu, inspect or run (see --help)');
  if (name !== 'run') {
    const stray = RUN_ONLY.find((flag) => values[flag] !== undefined);
    if (stray) throw new CliUsageError(`--${stray} only applies to the run command`);
  }
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
      return {
        command: {
          kind: 'run',
          model,
          images: values.images,
          json,
          size: values.size !== undefined ? parseSize(values.size) : undefined,
          mean: values.mean !== undefined ? parseRgb(values.mean, '--mean') : undefined,
          std: values.std !== undefined ? parseRgb(values.std, '--std') : undefined,
          batch: values.batch !== undefined ? positiveInt(values.batch, '--batch') : 8,
          resize: !values['no-resize'],
        },
        debug,
      };
    }
    default:
      throw new CliUsageError(`unknown command "${name}"; expected gpu, inspect or run (see --help)`);
  }
}
