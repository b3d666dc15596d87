import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './args.ts';
import { CliUsageError } from './errors.ts';

const usage = (argv: string[]) => {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(CliUsageError);
    return (e as Error).message;
  }
  throw new Error('expected a usage error');
};

describe('parseCommandLine', () => {
  it('reads run with every option', () => {
    const { command, debug } = parseCommandLine(['run', 'm.onnx', '--images', 'dir', '--size', '64', '--mean', '0.1,0.2,0.3', '--std', '0.5', '--batch', '3', '--json', '--no-resize', '--debug']);
    expect(debug).toBe(true);
    expect(command).toEqual({ kind: 'run', model: 'm.onnx', images: 'dir', json: true, size: [64, 64], mean: [0.1, 0.2, 0.3], std: [0.5, 0.5, 0.5], batch: 3, resize: false });
  });

  it('defaults run to batch 8 with resizing and reads HxW sizes', () => {
    const { command } = parseCommandLine(['run', 'm.onnx', '--images=d', '--size', '32x48']);
    expect(command).toMatchObject({ batch: 8, resize: true, json: false, size: [32, 48], mean: undefined });
  });

  it('reads gpu, inspect and help', () => {
    expect(parseCommandLine(['gpu', '--json']).command).toEqual({ kind: 'gpu', json: true });
    expect(parseCommandLine(['inspect', 'm.onnx']).command).toEqual({ kind: 'inspect', model: 'm.onnx', json: false });
    expect(parseCommandLine(['--help']).command).toEqual({ kind: 'help' });
  });

  it('explains each mistake in one line', () => {
    expect(usage([])).toMatch(/no command given/);
    expect(usage(['frobnicate'])).toBe('unknown command "frobnicate"; expected gpu, inspect, run, eval, quantize, export, report or explain (see --help)');
    expect(usage(['gpu', '--verbose'])).toBe("Unknown option '--verbose' (see --help)");
    expect(usage(['inspect'])).toBe('inspect needs a model file (MODEL.onnx)');
    expect(usage(['run', 'm.onnx'])).toBe('run needs --images DIR');
    expect(usage(['run', 'm.onnx', '--images', 'd', '--size', 'big'])).toMatch(/--size must be S or HxW/);
    expect(usage(['run', 'm.onnx', '--images', 'd', '--batch', '0'])).toBe('--batch must be a positive integer, got "0"');
    expect(usage(['run', 'm.onnx', '--images', 'd', '--std', '1,,2'])).toMatch(/--std must be one number or three/);
    expect(usage(['inspect', 'm.onnx', '--images', 'd'])).toBe('--images only applies to the run and explain commands');
    for (const message of [usage(['gpu', '--nope']), usage(['inspect', 'a', 'b'])]) expect(message).not.toContain('\n');
  });
});
