import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './args.ts';

describe('quantize flags', () => {
  const base = ['quantize', 'm.onnx', '--calib', 'c', '--report', 'r.json'];

  it('default to the exact solver on measured errors, without reparameterisation', () => {
    expect(parseCommandLine(base).command).toMatchObject({ kind: 'quantize', solver: 'exact', error: 'measured', actReparam: false });
  });

  it('select the paper variant and the post-LayerNorm reparameterisation', () => {
    const { command } = parseCommandLine([...base, '--solver', 'relaxed', '--error', 'paper', '--act-reparam', '--act-bits', '4']);
    expect(command).toMatchObject({ solver: 'relaxed', error: 'paper', actReparam: true, actBits: 4 });
  });
});
