/** The explanation half of the studio API: relevance maps of one image, FP against the last quantized model. */
import type { ExplanationComparison } from '../explain/compare.ts';
import type { Faithfulness } from '../explain/faithfulness.ts';
import type { BlockMap, RelevanceMap } from '../explain/maps.ts';
import type { StageGrid } from '../explain/layout.ts';
import type { MapMethod } from '../explain/methods.ts';
import type { RgbaImage } from './analysis-api.ts';
import type { NamedFile } from './api.ts';

export interface MapMethodOption {
  id: MapMethod;
  title: string;
  summary: string;
  /** Why the method cannot run here, or null. */
  unavailable: string | null;
}

export interface ModelMaps {
  blocks: BlockMap[];
  model: RelevanceMap;
  /** Probability of the fake class. */
  score: number;
}

export type ExplainStatus =
  | {
      ok: true;
      image: RgbaImage;
      imageName: string;
      method: MapMethod;
      /** 'tokens': ViT/DeiT, one patch grid; 'windows': Swin, a grid per stage. */
      kind: 'tokens' | 'windows';
      /** What the maps are read at: the classifier's token(s), or every token (mean pooling). */
      readout: string;
      /** The patch grid (Swin: its first stage's), which faithfulness cuts the image on. */
      grid: StageGrid;
      fp: ModelMaps;
      quantized: ModelMaps;
      comparison: ExplanationComparison;
    }
  | { ok: false; message: string };

export type FaithfulnessStatus =
  | { ok: true; method: MapMethod; imageName: string; fp: Faithfulness; quantized: Faithfulness }
  | { ok: false; message: string };

export interface ExplainApi {
  /** The map methods, with why one cannot run in this studio yet. */
  mapMethods(): Promise<MapMethodOption[]>;
  /** Every block's map and the whole model's, FP and the last quantized model, for `image` among `files`. */
  explainMaps(files: NamedFile[], image: string, method: MapMethod): Promise<ExplainStatus>;
  /** Deletion and insertion curves of the whole-model maps of both models (2 × 17 runs of each). */
  explainFaithfulness(files: NamedFile[], image: string, method: MapMethod): Promise<FaithfulnessStatus>;
}
