import type { AdapterSummary } from '../gpu/device.ts';
import type { ModelReport } from '../model/report.ts';
import type { ProgressEvent, QuantizeReport } from '../quant/report.ts';
import type { QuantizeSettings } from '../quant/settings.ts';
import type { AnalysisApi } from './analysis-api.ts';
import type { SerializedSource } from '../export/source.ts';
import type { ExportApi } from './export-api.ts';
import type { ExplainApi } from './explain-api.ts';
import type { LiveSourceApi } from './live-api.ts';
import type { ReportApi } from './report-api.ts';

export type { ProgressEvent, QuantizeReport, QuantizeSettings };

/** What the studio worker can tell about the GPU it got. */
export type GpuStatus =
  | { ok: true; adapter: AdapterSummary }
  | { ok: false; message: string };

export interface FileBytes {
  name: string;
  bytes: Uint8Array;
}

/**
 * A file handed to the worker by reference: a File/Blob crosses postMessage without its contents
 * being copied, and the worker reads it when it needs it. `name` is the path inside a picked
 * folder ("eval/real/a.png") when there is one. A .zip is expanded in the worker.
 */
export interface NamedFile {
  name: string;
  file: Blob;
}

/** The preprocessing the user can edit; the worker uses exactly these values. */
export interface PreprocessEdit {
  size: [number, number];
  mean: [number, number, number];
  std: [number, number, number];
}

/** What a set of input files holds, checked in the worker before any run. */
export type ImageSetStatus =
  | { ok: true; images: number; real: number | null; fake: number | null }
  | { ok: false; message: string };

export interface PreprocessSummary {
  size: [number, number];
  mean: [number, number, number];
  std: [number, number, number];
  source: string;
}

export type ModelStatus =
  | {
      ok: true;
      fileName: string;
      bytes: number;
      report: ModelReport;
      preprocess: PreprocessSummary | null;
      /** Class names from config.json's id2label, by index, when it came with the model. */
      labels: string[] | null;
      /** The class taken as "fake": the one the labels name, else 1 (see fakeClassOf), until setFakeClass. */
      fakeIndex: number;
    }
  | { ok: false; fileName: string; message: string };

export interface Prediction {
  image: string;
  logits: number[];
}

export type RunStatus =
  | { ok: true; predictions: Prediction[]; ms: number }
  | { ok: false; message: string };

export type QuantizeStatus =
  | {
      ok: true;
      report: QuantizeReport;
      /** The run's codes in a form that survives storage, so a reopened project gets its result back; null when there is none to keep. */
      saved?: SerializedSource | null;
    }
  | { ok: false; message: string };

/** The one typed API between the UI thread and the studio worker (served with comlink). */
export interface StudioApi extends ExportApi, AnalysisApi, ReportApi, LiveSourceApi, ExplainApi {
  gpuStatus(): Promise<GpuStatus>;
  /**
   * Decode, check and analyse a model; `extra` may hold its .onnx_data and preprocessor_config.json.
   * The model stays in the worker; a failure keeps the previous one.
   */
  openModel(model: NamedFile, extra: NamedFile[]): Promise<ModelStatus>;
  /** Replace the open model's image size, mean and std; runs and quantization use them from now on. */
  setPreprocess(edit: PreprocessEdit): Promise<{ ok: true; preprocess: PreprocessSummary } | { ok: false; message: string }>;
  /** Which class (0 or 1) is "fake" from now on: in runs, quantization, sweeps and the export's checks. */
  setFakeClass(index: number): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Count the images in files, folders or zips; `labelled` also checks the real/ and fake/ folders. */
  checkImages(files: NamedFile[], labelled: boolean): Promise<ImageSetStatus>;
  /** Run the open model on images; the results are complete or an error, never partial. */
  runImages(images: NamedFile[]): Promise<RunStatus>;
  /**
   * Quantize the open model with calibration images (and optionally a labelled set whose paths
   * contain real/ and fake/; zips are expanded). Progress arrives through `onProgress`; `cancelQuantize` stops it,
   * and the report then holds the stages that finished.
   */
  quantize(calibration: NamedFile[], evaluation: NamedFile[], settings: QuantizeSettings, onProgress: (e: ProgressEvent) => void): Promise<QuantizeStatus>;
  cancelQuantize(): void;
  /** Settings checked against the open model before a run (the budget's feasibility): the reason when they cannot work. */
  checkSettings(settings: QuantizeSettings): Promise<{ ok: true } | { ok: false; message: string; setting: string; least?: number }>;
  /** Rebuild the open model's last run from its saved codes (after a reload), so results and export work again. */
  restoreResult(saved: SerializedSource, report: QuantizeReport): Promise<{ ok: true } | { ok: false; message: string }>;
}
