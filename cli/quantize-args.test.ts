import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './args.ts';

describe('quantize flags', () => {
  const base = ['quantize', 'm.onnx', '--calib', 'c', '--report', 'r.json'];

  it('default to the exact solver on logit errors over 16 images, without reparameterisation', () => {
    expect(parseCommandLine(base).command).toMatchObject({ kind: 'quantize', solver: 'exact', error: 'logits', errorImages: 16, actReparam: false });
    expect(parseCommandLine([...base, '--error', 'measured', '--error-images', '4']).command).toMatchObject({ error: 'measured', errorImages: 4 });
    expect(() => parseCommandLine([...base, '--error', 'hessian'])).toThrow('--error must be one of logits, measured, diagonal, paper, noise, got "hessian"');
    expect(() => parseCommandLine([...base, '--error-images', '0'])).toThrow(/--error-images/);
  });

  it('select the paper variant and the post-LayerNorm reparameterisation', () => {
    const { command } = parseCommandLine([...base, '--solver', 'relaxed', '--error', 'paper', '--act-reparam', '--act-bits', '4']);
    expect(command).toMatchObject({ solver: 'relaxed', error: 'paper', actReparam: true, actBits: 4 });
  });

  it('check each block\'s learned rounding only when told on, refusing other values', () => {
    expect(parseCommandLine(base).command).toMatchObject({ roundingCheck: false });
    expect(parseCommandLine([...base, '--rounding-check', 'on']).command).toMatchObject({ roundingCheck: true });
    expect(() => parseCommandLine([...base, '--rounding-check', 'maybe'])).toThrow('--rounding-check must be one of on, off, got "maybe"');
  });

  it('store the float parameters as float16 unless told float32, refusing other values', () => {
    expect(parseCommandLine(base).command).toMatchObject({ floatParams: 'fp16' });
    expect(parseCommandLine([...base, '--float-params', 'fp32']).command).toMatchObject({ floatParams: 'fp32' });
    expect(() => parseCommandLine([...base, '--float-params', 'fp8'])).toThrow('--float-params must be one of fp16, fp32, got "fp8"');
    expect(() => parseCommandLine(['eval', 'm.onnx', '--data', 'd', '--float-params', 'fp16'])).toThrow('--float-params only applies to the quantize command');
  });

  it("aim the rounding at the float weight on its own inputs unless told the float model's outputs, refusing other values", () => {
    expect(parseCommandLine(base).command).toMatchObject({ reconTargets: 'same' });
    expect(parseCommandLine([...base, '--recon-targets', 'float']).command).toMatchObject({ reconTargets: 'float' });
    expect(() => parseCommandLine([...base, '--recon-targets', 'fp'])).toThrow('--recon-targets must be one of same, float, got "fp"');
  });

  it('run VEFT unless --no-veft, with its fraction, temperature and steps, and keep --no-resize', () => {
    expect(parseCommandLine(base).command).toMatchObject({ veft: true, veftFraction: 0.02, veftTau: 0.1, veftEpochs: 100, resize: true });
    expect(parseCommandLine([...base, '--no-veft', '--no-resize']).command).toMatchObject({ veft: false, resize: false });
    expect(parseCommandLine([...base, '--veft-fraction', '0.05', '--veft-tau', '0.5', '--veft-epochs', '0']).command).toMatchObject({ veftFraction: 0.05, veftTau: 0.5, veftEpochs: 0 });
    expect(() => parseCommandLine([...base, '--veft-fraction', '0.9'])).toThrow('--veft-fraction must be a number from 0 to 0.5, got "0.9"');
  });
});
