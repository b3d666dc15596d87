/**
 * The live check: the FP and the exported quantized model run frame by frame in onnxruntime-web.
 * The studio worker hands out the two files (`LiveSourceApi`); a worker of their own (live.worker.ts)
 * runs them (`LiveApi`), so frames never wait behind a quantization or a sweep, and the page's
 * thread only grabs frames and shows the figures.
 */
import type { PreprocessOptions } from '../data/preprocess.ts';
import type { WebEp } from '../export/ort-web.ts';

export type LiveModelsStatus =
  | {
      ok: true;
      fp: Uint8Array;
      quantized: Uint8Array;
      /** The exported file's name, size and hash, as the export would name it. */
      quantizedName: string;
      quantizedSha256: string;
      /** The project's preprocessing (edits included) and fake class. */
      preprocess: PreprocessOptions;
      fakeIndex: number;
      /** Images per run the model takes (1 unless its batch is fixed). */
      batch: number;
    }
  | { ok: false; message: string };

/** What the studio worker provides: the two files, for the runtime the check runs on. */
export interface LiveSourceApi {
  liveModels(ep: WebEp): Promise<LiveModelsStatus>;
}

export interface LiveModelFigures {
  /** Probability of the fake class on the last frame, 0 … 1. */
  score: number;
  /** Milliseconds of the last frame's run, and their rolling mean. */
  ms: number;
  meanMs: number;
}

export type LiveFrameStatus =
  | { ok: true; frames: number; fp: LiveModelFigures; quantized: LiveModelFigures; preprocessMs: number; width: number; height: number }
  | { ok: false; message: string };

export type LiveLoadStatus =
  | { ok: true; ep: WebEp; runtime: string }
  | { ok: false; message: string };

export interface LiveLoad {
  fp: Uint8Array;
  quantized: Uint8Array;
  ep: WebEp;
  preprocess: PreprocessOptions;
  fakeIndex: number;
  batch: number;
  /** Frames the rolling mean covers. */
  window: number;
}

/** The live worker's API (served with comlink). */
export interface LiveApi {
  /** Opens both sessions and warms them up on one blank frame (its time is not counted). */
  load(request: LiveLoad): Promise<LiveLoadStatus>;
  /** Preprocesses one frame and runs both models on it; the bitmap is transferred and closed. */
  frame(frame: ImageBitmap): Promise<LiveFrameStatus>;
  /** Releases both sessions. */
  unload(): Promise<void>;
}
