import { checkGraphStructure } from '../onnx/validate.ts';
import type { PreprocessOptions } from '../data/preprocess.ts';
import { analyzeModel } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';
import type { QuantizeReport } from '../quant/report.ts';
import type { BundleInput } from './bundle.ts';
import { exportOnnx } from './export.ts';
import { exportReport, type ExportReport } from './report.ts';
import type { ExportSource } from './source.ts';
import type { Verification } from './verify.ts';
import type { ExportOptions, WrittenModel } from './writer.ts';

/** What the bundle takes from beside the model: its configs and preprocessing. */
export interface ModelSidecars {
  config?: Record<string, unknown> | null;
  preprocessorConfig?: Record<string, unknown> | null;
  preprocess: PreprocessOptions | null;
  fakeIndex: number;
}

export interface AssembledExport {
  onnx: Uint8Array;
  written: WrittenModel;
  report: ExportReport;
  bundle: BundleInput;
}

/** The file, its report and the bundle's contents, all made in memory before anything is written. */
export function assembleExport(model: Model, source: ExportSource, quantization: QuantizeReport | null, options: ExportOptions, sidecars: ModelSidecars, verification: Verification[] = []): AssembledExport {
  checkGraphStructure(model.graph); // the exporter refuses a broken graph as the loaders do
  const { bytes, written } = exportOnnx(model, source, options);
  const report = exportReport(source, written, bytes.length, quantization, verification);
  const output = model.graph.outputs[0]?.shape;
  const classes = typeof output?.[output.length - 1] === 'number' ? (output[output.length - 1] as number) : 2;
  return {
    onnx: bytes,
    written,
    report,
    bundle: {
      onnx: bytes, report, config: sidecars.config, preprocessorConfig: sidecars.preprocessorConfig, preprocess: sidecars.preprocess,
      architecture: analyzeModel(model).architecture, numClasses: classes, fakeIndex: sidecars.fakeIndex,
    },
  };
}
