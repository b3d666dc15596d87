import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../src/data/decode.ts';
import { GraphError, OnnxFormatError } from '../src/onnx/ir.ts';
import { SettingsError } from '../src/quant/feasibility.ts';
import { UnsupportedOpError } from '../src/onnx/ops/types.ts';
import { CliFileError, CliUsageError, describeFailure } from './errors.ts';

describe('describeFailure', () => {
  it('prints known errors as their message, exit 1', () => {
    expect(describeFailure(new UnsupportedOpError('Foo', 'node_7'))).toEqual({ line: 'error: Unsupported operator Foo at node "node_7"', exitCode: 1 });
    expect(describeFailure(new ImageDecodeError('a.jpg', 'truncated JPEG data')).line).toBe('error: a.jpg could not be decoded: truncated JPEG data');
    expect(describeFailure(new OnnxFormatError('m.onnx is empty')).exitCode).toBe(1);
    expect(describeFailure(new CliFileError('x')).exitCode).toBe(1);
  });

  it('gives usage errors exit code 2', () => {
    expect(describeFailure(new CliUsageError('bad flag'))).toEqual({ line: 'error: bad flag', exitCode: 2 });
  });

  it('keeps Node file errors, and marks anything else as a bug to report, on one line', () => {
    const fsError = Object.assign(new Error("EACCES: permission denied, open 'x'"), { code: 'EACCES' });
    expect(describeFailure(fsError).line).toBe("error: EACCES: permission denied, open 'x'");
    const bug = describeFailure(new TypeError('cannot read x\n  of undefined'));
    expect(bug.line).toBe('error: cannot read x of undefined (unexpected; rerun with --debug and report it)');
    expect(bug.exitCode).toBe(1);
    expect(describeFailure('thrown string').line).toMatch(/^error: thrown string/);
  });

  it('labels a user\'s file and setting as such, never as unexpected', () => {
    expect(describeFailure(new GraphError('m.onnx: the graph has no outputs'))).toEqual({ line: 'error: m.onnx: the graph has no outputs', exitCode: 1 });
    expect(describeFailure(new SettingsError('a budget of 1 bits per weight is infeasible', 'avgBits', 2.5)).line).toBe('error: a budget of 1 bits per weight is infeasible');
  });

  it('escapes control characters and bounds the length of any line', () => {
    const line = describeFailure(new OnnxFormatError('x \u001b[2J\u0007 y \u202e z')).line;
    expect(line).toBe('error: x \\x1b[2J\\x07 y \\u202e z');
    expect(describeFailure(new OnnxFormatError('n'.repeat(10_000))).line.length).toBeLessThan(2100);
  });
});
