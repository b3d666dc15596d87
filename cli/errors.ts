/** How the CLI turns any thrown value into one line on stderr and an exit code. */
import { GpuDeviceLostError, WebGpuUnavailableError } from '../src/gpu/device.ts';
import { DatasetError } from '../src/data/dataset.ts';
import { ImageDecodeError } from '../src/data/decode.ts';
import { MetricsError } from '../src/data/metrics.ts';
import { ImageSizeError, PreprocessorConfigError } from '../src/data/preprocess.ts';
import { ExportError } from '../src/export/errors.ts';
import { ExplainLayoutError } from '../src/explain/layout.ts';
import { MethodUnavailableError } from '../src/explain/methods.ts';
import { OnnxFormatError } from '../src/onnx/ir.ts';
import { UnsupportedOpError } from '../src/onnx/ops/types.ts';
import { InputShapeError } from '../src/onnx/prepare.ts';

/** Wrong command line: exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** A file or folder the user named cannot be used. */
export class CliFileError extends Error {
  override name = 'CliFileError';
}

/** A CLI command whose engine call has not been connected yet (see core.ts). */
export class NotWiredError extends Error {
  override name = 'NotWiredError';
}

const KNOWN: (abstract new (...args: never[]) => Error)[] = [
  CliFileError, NotWiredError, OnnxFormatError, UnsupportedOpError, InputShapeError, ImageDecodeError, ImageSizeError,
  PreprocessorConfigError, DatasetError, MetricsError, GpuDeviceLostError, WebGpuUnavailableError, ExportError,
  ExplainLayoutError, MethodUnavailableError,
];

export interface Failure {
  line: string;
  exitCode: number;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

export function describeFailure(e: unknown): Failure {
  if (e instanceof CliUsageError) return { line: `error: ${oneLine(e.message)}`, exitCode: 2 };
  if (e instanceof Error && KNOWN.some((cls) => e instanceof cls)) return { line: `error: ${oneLine(e.message)}`, exitCode: 1 };
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    // Node system errors (EACCES, EISDIR, ...) already name the path.
    return { line: `error: ${oneLine(e.message)}`, exitCode: 1 };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { line: `error: ${oneLine(message) || 'unknown failure'} (unexpected; rerun with --debug and report it)`, exitCode: 1 };
}
