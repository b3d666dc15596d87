import type { AucDifference } from '../data/metrics.ts';
import type { StageName } from '../quant/report.ts';
import type { Method, QuantizeSettings } from '../quant/settings.ts';
import type { LayerWeights } from '../quant/inspect/layer-weights.ts';
import type { NamedFile } from './api.ts';

/** One quantized layer's weights against its grid (from the last quantization run). */
export type LayerDetailStatus =
  | ({
      ok: true;
      name: string;
      /** Whether the weight's rounding was learned (AdaRound); nearest rounding otherwise. */
      learned: boolean;
    } & LayerWeights)
  | { ok: false; message: string };

export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export type ImageNamesStatus =
  | { ok: true; names: string[] }
  | { ok: false; message: string };

export interface SweepOptions {
  methods: Method[];
  /** Widths whose uniform model's stored size each run gets (every method at a budget stores the same bytes). */
  budgets: number[];
  /** Settings shared by every run (iterations, activation bits, …); method and avgBits are set per point. */
  settings: QuantizeSettings;
}

export interface SweepPoint {
  method: Method;
  budget: number;
  /** Null when the budget cannot be met by this method (the message says why). */
  result: {
    avgBits: number; modelBytes: number; auc: number; accuracy: number; agreement: number; ms: number;
    /** AUC minus FP's on the same images, with its paired error; null with fewer than two images of a class. */
    aucChange: AucDifference | null;
    /** AUC minus uniform AdaRound's at this budget on the same images, paired; null for AdaRound itself or without its run. */
    versusAdaRound: AucDifference | null;
  } | null;
  message?: string;
}

export interface SweepProgress {
  /** Points finished, of total. */
  done: number;
  total: number;
  method: Method;
  budget: number;
  stage: StageName;
  step: number;
  stageTotal: number;
}

export type SweepStatus =
  | { ok: true; fp: { auc: number; accuracy: number; bytes: number; images: number }; points: SweepPoint[]; cancelled: boolean }
  | { ok: false; message: string };

/** The analysis half of the studio API: what the results views draw (histograms, sweeps); the maps are in explain-api.ts. */
export interface AnalysisApi {
  /** Histogram, grid and rounding counts of one layer of the last quantization run. */
  layerDetail(layer: string, channel: number | null): Promise<LayerDetailStatus>;
  /** The image names in files, folders or zips (zips expanded), for choosing one to map. */
  imageNames(files: NamedFile[]): Promise<ImageNamesStatus>;
  /**
   * Quantize the open model for each (method, budget) and evaluate it on the labelled set; a
   * budget a method cannot meet gives a point with a message, not a failure. `cancelSweep` stops
   * it, keeping the points that finished.
   */
  sweep(calibration: NamedFile[], evaluation: NamedFile[], options: SweepOptions, onProgress: (p: SweepProgress) => void): Promise<SweepStatus>;
  cancelSweep(): void;
}
