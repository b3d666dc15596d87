import type { AdapterSummary } from '../gpu/device.ts';

/** What the studio worker can tell about the GPU it got. */
export type GpuStatus =
  | { ok: true; adapter: AdapterSummary }
  | { ok: false; message: string };

/** The one typed API between the UI thread and the studio worker (served with comlink). */
export interface StudioApi {
  gpuStatus(): Promise<GpuStatus>;
}
