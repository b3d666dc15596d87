import type { AdapterSummary } from '../gpu/device.ts';
import type { ModelReport } from '../model/report.ts';
import type { ProgressEvent, QuantizeReport, QuantizeSettings } from '../quant/pipeline.ts';
import type { AnalysisApi } from './analysis-api.ts';
import type { ExportApi } from './export-api.ts';

export type { ProgressEvent, QuantizeReport, QuantizeSettings };

/** What the studio worker can tell about the GPU it got. */
export type GpuStatus =
  | { ok: true; adapter: AdapterSummary }
  | { ok: false; message: string };

export interface FileBytes {
  name: string;
  bytes: Uint8Array;
}

export interface PreprocessSummary {
  size: [number, number];
  mean: [number, number, number];
  std: [number, number, number];
  source: string;
}

export type ModelStatus =
  | { ok: true; fileName: string; bytes: number; report: ModelReport; preprocess: PreprocessSummary | null }
  | { ok: false; fileName: string; message: string };

export interface Prediction {
  image: string;
  logits: number[];
  /** Softmax probability of the fake class. */
  pFake: number;
}

export type RunStatus =
  | { ok: true; predictions: Prediction[]; ms: number }
  | { ok: false; message: string };

export type QuantizeStatus =
  | { ok: true; report: QuantizeReport }
  | { ok: false; message: string };

/** The one typed API between the UI thread and the studio worker (served with comlink). */
export interface StudioApi extends ExportApi, AnalysisApi {
  gpuStatus(): Promise<GpuStatus>;
  /**
   * Decode, check and analyse a model; `extra` may hold its .onnx_data and preprocessor_config.json.
   * The model stays in the worker; a failure keeps the previous one.
   */
  openModel(model: FileBytes, extra: FileBytes[]): Promise<ModelStatus>;
  /** Run the open model on images; the results are complete or an error, never partial. */
  runImages(images: FileBytes[]): Promise<RunStatus>;
  /**
   * Quantize the open model with calibration images (and optionally a labelled set whose paths
   * contain real/ and fake/). Progress arrives through `onProgress`; `cancelQuantize` stops it,
   * and the report then holds the stages that finished.
   */
  quantize(calibration: FileBytes[], evaluation: FileBytes[], settings: QuantizeSettings, onProgress: (e: ProgressEvent) => void): Promise<QuantizeStatus>;
  cancelQuantize(): void;
}
