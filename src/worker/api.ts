import type { AdapterSummary } from '../gpu/device.ts';
import type { ModelReport } from '../model/report.ts';

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

/** The one typed API between the UI thread and the studio worker (served with comlink). */
export interface StudioApi {
  gpuStatus(): Promise<GpuStatus>;
  /**
   * Decode, check and analyse a model; `extra` may hold its .onnx_data and preprocessor_config.json.
   * The model stays in the worker; a failure keeps the previous one.
   */
  openModel(model: FileBytes, extra: FileBytes[]): Promise<ModelStatus>;
  /** Run the open model on images; the results are complete or an error, never partial. */
  runImages(images: FileBytes[]): Promise<RunStatus>;
}
