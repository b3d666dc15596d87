/**
 * The exported file of a run, for the live check and the HTML report: the one exportModel last
 * wrote when it belongs to that run and target, else assembled again (without verification) from
 * the current result or from a saved run's codes. The export is deterministic, so the same run and
 * options give the same bytes and the same sha256.
 */
import { assembleExport } from '../export/assemble.ts';
import { ExportError } from '../export/errors.ts';
import type { ExportReport } from '../export/report.ts';
import { exportSourceOf, parseSource, sha256Hex, type ExportSource, type SerializedSource } from '../export/source.ts';
import { TARGET_FORMAT, type ExportTarget, type WeightFormat } from '../export/writer.ts';
import { encodeModel } from '../onnx/encode.ts';
import type { QuantizeReport } from '../quant/report.ts';
import { workerState } from './state.ts';

export interface RunRef {
  report: QuantizeReport;
  /** The run's codes (absent for a run that rescaled its LayerNorms, or chose no widths). */
  saved: SerializedSource | null;
  /** Whether the run is the one the worker holds (the last quantized or reopened). */
  current: boolean;
}

export interface RunExport {
  onnx: Uint8Array;
  report: ExportReport;
  fileName: string;
}

export function currentModel() {
  const current = workerState.current;
  if (!current) throw new ExportError('Open a model first.');
  return current;
}

/** The FP model as the page holds it (external data inlined), as the export names it. */
export async function fpModelFile(): Promise<{ bytes: Uint8Array; info: ExportSource['model'] }> {
  const { opened } = currentModel();
  const bytes = encodeModel(opened.model);
  return { bytes, info: { fileName: opened.fileName, sha256: await sha256Hex(bytes), bytes: bytes.length } };
}

export async function exportOfRun(run: RunRef, target: ExportTarget, format?: WeightFormat): Promise<RunExport> {
  const current = currentModel();
  const { opened } = current;
  const wanted = format ?? TARGET_FORMAT[target];
  const fileName = `${opened.fileName.replace(/\.onnx$/i, '')}_${run.report.settings.avgBits}bit_${target}.onnx`;
  const last = workerState.lastExport;
  if (run.current && last && last.result === workerState.lastResult && last.report.target === target && last.report.weightFormat === wanted) {
    return { onnx: last.onnx, report: last.report, fileName };
  }
  const result = run.current ? workerState.lastResult : null;
  const { info } = await fpModelFile();
  let source: ExportSource;
  if (run.saved) source = { ...parseSource(run.saved, 'the saved run'), model: info };
  else if (result) source = exportSourceOf(result.model, result, info);
  else throw new ExportError('This run kept no codes (a run with rescaled LayerNorms): quantize it again to export it.');
  const model = result?.model ?? opened.model;
  const assembled = assembleExport(model, source, run.report, { target, format: wanted }, { config: current.config, preprocess: current.preprocess, fakeIndex: current.fakeIndex });
  assembled.report.size.sha256 = await sha256Hex(assembled.onnx);
  // The very file exportModel verified (same bytes): its checks in onnxruntime hold for this one.
  if (last?.report.size.sha256 === assembled.report.size.sha256) assembled.report.verification = last.report.verification;
  return { onnx: assembled.onnx, report: assembled.report, fileName };
}
