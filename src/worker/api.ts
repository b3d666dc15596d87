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

export type ModelStatus =
  | { ok: true; fileName: string; bytes: number; report: ModelReport }
  | { ok: false; fileName: string; message: string };

/** The one typed API between the UI thread and the studio worker (served with comlink). */
export interface StudioApi {
  gpuStatus(): Promise<GpuStatus>;
  /** Decode, check and analyse a model; `extra` may hold its .onnx_data. The model stays in the worker. */
  openModel(model: FileBytes, extra: FileBytes[]): Promise<ModelStatus>;
}
