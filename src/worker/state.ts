import type { PreprocessOptions } from '../data/preprocess.ts';
import { GpuModel } from '../engine/session.ts';
import { GpuSession, type GpuContext } from '../gpu/device.ts';
import type { OpenedModel } from '../model/open.ts';
import type { ExportReport } from '../export/report.ts';
import type { QuantizeResult } from '../quant/report.ts';

/**
 * What the studio worker holds between calls. Every service of the worker (opening, running,
 * quantizing, exporting, analysing) reads and writes it here, so each can live in its own file.
 */
export interface OpenModelState {
  opened: OpenedModel;
  preprocess: PreprocessOptions | null;
  source: string;
  /** The class whose probability is "fake" in evaluation and runs: from the model's labels, or chosen. */
  fakeIndex: number;
  /** The config.json that came with the model (an object), for the export's bundle. */
  config: Record<string, unknown> | null;
}

export const workerState: {
  current: OpenModelState | null;
  /** The last quantization run on the current model (finished or cancelled), with its simulated model. */
  lastResult: QuantizeResult | null;
  /** The last file exportModel wrote: which run it came from, its bytes and report (with its sha256 and verification). */
  lastExport: { result: QuantizeResult; onnx: Uint8Array; report: ExportReport } | null;
  /**
   * The open model on the GPU, kept between runs so a large model's weights are uploaded once (they
   * stay shared by every model a run builds on them); released when another model is opened.
   */
  loaded: { model: OpenedModel; gpu: GpuModel } | null;
} = { current: null, lastResult: null, lastExport: null, loaded: null };

/** The open model on this device, uploaded on its first run. */
export function loadedModel(ctx: GpuContext, opened: OpenedModel): GpuModel {
  const loaded = workerState.loaded;
  if (loaded && loaded.model === opened && loaded.gpu.context === ctx) return loaded.gpu;
  loaded?.gpu.dispose();
  const gpu = new GpuModel(ctx, opened.model);
  workerState.loaded = { model: opened, gpu };
  return gpu;
}

/** Forgets the open model's GPU copy (a new model is being opened). */
export function unloadModel(): void {
  workerState.loaded?.gpu.dispose();
  workerState.loaded = null;
}

let session: Promise<GpuSession> | null = null;

/** The worker's one GPU session, opened on first use; a failed open is retried next time. */
export function openSession(): Promise<GpuSession> {
  session ??= GpuSession.open();
  session.catch(() => (session = null));
  return session;
}

export const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
