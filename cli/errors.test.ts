import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../src/data/decode.ts';
import { OnnxFormatError } from '../src/onnx/ir.ts';
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
});
