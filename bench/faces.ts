/** The benchmark faces in ../shared/data, read where they lie (never copied into the project). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelledSet, type LabelledImage } from '../src/data/dataset.ts';
import { decodeImageNode } from '../src/data/decode-node.ts';
import { filesFromDirectory } from '../src/data/fs-node.ts';
import { preprocess, preprocessorFromConfig, type PreprocessOptions } from '../src/data/preprocess.ts';
import type { LabelledBatch } from '../src/quant/evaluation/evaluate.ts';

/** Images per GPU run in the benchmarks. */
export const BATCH = 16;

/** Every face (real/ and fake/, sorted) and a detector's preprocessing (by default the face detector's). */
export async function loadFaces(data: string, preprocessorConfig = join(data, 'models/preprocessor_config.json')): Promise<{ faces: LabelledImage[]; pre: PreprocessOptions }> {
  const pre = preprocessorFromConfig(JSON.parse(readFileSync(preprocessorConfig, 'utf8')), preprocessorConfig);
  const faces = labelledSet(await filesFromDirectory(join(data, 'faces'), { recursive: true }), 'faces').images;
  return { faces, pre };
}

/** n items spread evenly over the list (so both classes of a sorted set are represented). */
export function evenly<T>(items: readonly T[], n: number): T[] {
  const count = Math.min(n, items.length);
  const step = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * step)]!);
}

/** The benches' fixed, class-balanced split: every k-th face of `count` calibrates, the rest are held out. */
export function calibrationSplit<T>(faces: readonly T[], count: number): { calibration: T[]; heldOut: T[] } {
  const stride = faces.length / count;
  const picked = new Set(Array.from({ length: count }, (_, i) => Math.floor(i * stride)));
  return { calibration: faces.filter((_, i) => picked.has(i)), heldOut: faces.filter((_, i) => !picked.has(i)) };
}

export async function faceBatches(items: readonly LabelledImage[], pre: PreprocessOptions): Promise<LabelledBatch[]> {
  const out: LabelledBatch[] = [];
  for (let s = 0; s < items.length; s += BATCH) {
    const chunk = items.slice(s, s + BATCH);
    const decoded = await Promise.all(chunk.map(async (f) => decodeImageNode(await f.file.read(), f.file.name)));
    out.push({ pixels: preprocess(decoded, pre), count: chunk.length, isFake: chunk.map((f) => f.isFake) });
  }
  return out;
}
