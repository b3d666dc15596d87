/** How the CLI turns any thrown value into one line on stderr and an exit code. */
import { GpuDeviceLostError, WebGpuUnavailableError } from '../src/gpu/device.ts';
import { DatasetError } from '../src/data/dataset.ts';
import { ImageDecodeError } from '../src/data/decode.ts';
import { MetricsError } from '../src/data/metrics.ts';
import { ImageSizeError, PreprocessorConfigError } from '../src/data/preprocess.ts';
import { ExportError } from '../src/export/errors.ts';
import { ExplainLayoutError } from '../src/explain/layout.ts';
import { MethodUnavailableError } from '../src/explain/methods.ts';
import { GraphError, OnnxFormatError } from '../src/onnx/ir.ts';
import { UnsupportedOpError } from '../src/onnx/ops/types.ts';
import { escapeControls } from '../src/onnx/names.ts';
import { InputShapeError } from '../src/onnx/prepare.ts';
import { SettingsError } from '../src/quant/feasibility.ts';

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
  CliFileError, NotWiredError, OnnxFormatError, GraphError, UnsupportedOpError, InputShapeError, ImageDecodeError, ImageSizeError,
  PreprocessorConfigError, SettingsError, DatasetError, MetricsError, GpuDeviceLostError, WebGpuUnavailableError, ExportError,
  ExplainLayoutError, MethodUnavailableError,
];

export interface Failure {
  line: string;
  exitCode: number;
}

/** Longest error line printed; a message longer than this is cut (names are cut before, where they are made). */
const MAX_LINE = 2000;

/** One line, safe for a terminal: newlines folded, control characters escaped, length bounded. */
const oneLine = (text: string) => {
  const line = escapeControls(text.replace(/\s*\n\s*/g, ' ').trim());
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}… (cut)` : line;
};

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
