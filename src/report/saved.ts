/**
 * A saved report read back for the HTML report: the CLI's R.json (the quantization report, with its
 * export data and environment) or quant_report.json (the export's report, from the CLI's bundle or
 * the studio's download). Anything else is one message naming the file and what is wrong.
 */
import type { ExportReport, RunEnvironment } from '../export/report.ts';
import type { QuantizeReport } from '../quant/report.ts';
import { reportExportOf, type HashedFile, type ReportExport } from './input.ts';

export class SavedReportError extends Error {
  override name = 'SavedReportError';
}

export interface SavedReport {
  quantization: QuantizeReport;
  modelFiles: HashedFile[];
  export: ReportExport | null;
  environment: RunEnvironment | null;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields every part of the HTML report reads; a report missing one is refused, naming it. */
function checkQuantization(value: unknown, where: string): QuantizeReport {
  if (!isObject(value)) throw new SavedReportError(`${where} holds no quantization report`);
  for (const [field, ok] of [
    ['settings', isObject(value.settings)],
    ['avgBits', typeof value.avgBits === 'number'],
    ['modelBytes', typeof value.modelBytes === 'number'],
    ['fpBytes', typeof value.fpBytes === 'number'],
    ['layers', Array.isArray(value.layers)],
    ['timings', isObject(value.timings)],
    ['completed', Array.isArray(value.completed)],
  ] as const) {
    if (!ok) throw new SavedReportError(`${where}: the quantization report's "${field}" is missing or malformed`);
  }
  (value.layers as unknown[]).forEach((l, i) => {
    if (!isObject(l) || typeof l.name !== 'string' || typeof l.bits !== 'number' || typeof l.params !== 'number' || typeof l.score !== 'number') {
      throw new SavedReportError(`${where}: layer entry ${i}${isObject(l) && typeof l.name === 'string' ? ` (${l.name})` : ''} is malformed`);
    }
  });
  return { allocation: null, evaluation: null, cancelled: false, reparameterized: [], ...value } as unknown as QuantizeReport;
}

function modelFile(model: unknown): HashedFile[] {
  if (!isObject(model) || typeof model.fileName !== 'string' || typeof model.sha256 !== 'string' || !model.sha256) return [];
  return [{ name: model.fileName, bytes: typeof model.bytes === 'number' ? model.bytes : 0, sha256: model.sha256 }];
}

const environmentOf = (v: unknown): RunEnvironment | null => (isObject(v) && typeof v.runtime === 'string' ? (v as unknown as RunEnvironment) : null);

export function readSavedReport(value: unknown, where: string): SavedReport {
  if (!isObject(value)) throw new SavedReportError(`${where} is not a report: expected a JSON object`);
  if (value.tool === 'defakeq-studio') {
    const exported = value as unknown as ExportReport;
    if (!exported.quantization) throw new SavedReportError(`${where} is an export report without its quantization report; write the HTML report from the run's R.json instead`);
    const base = typeof exported.model?.fileName === 'string' ? exported.model.fileName.replace(/\.onnx$/i, '') : 'model';
    return {
      quantization: checkQuantization(exported.quantization, where),
      modelFiles: modelFile(exported.model),
      export: isObject(exported.size) ? reportExportOf(exported, `${base}_quantized.onnx`) : null,
      environment: environmentOf(exported.environment),
    };
  }
  if ('settings' in value || 'layers' in value) {
    const { export: data, environment, exported, ...report } = value;
    return {
      quantization: checkQuantization(report, where),
      modelFiles: modelFile(isObject(data) ? data.model : null),
      export: isObject(exported) ? (exported as unknown as ReportExport) : null,
      environment: environmentOf(environment),
    };
  }
  throw new SavedReportError(`${where} is neither a quantization report (quantize --report R.json) nor an export report (quant_report.json)`);
}
