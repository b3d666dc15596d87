/**
 * Deletion and insertion curves (Petsiuk et al.'s RISE metrics, on patches): does the map point
 * at what the decision rests on? Patches are taken most relevant first. Deletion replaces them
 * with a baseline in the image and watches the fake score fall; insertion starts from the
 * baseline image and puts them back, watching it rise. The baseline is a constant in normalised
 * pixel space: 0 is the normalisation's mean colour.
 */
import { relevanceOrder } from './compare.ts';
import type { StageGrid } from './layout.ts';
import type { RelevanceMap } from './maps.ts';

/** Fake scores (probabilities) of `count` preprocessed images, NCHW. */
export type Scorer = (pixels: Float32Array, count: number) => Promise<number[]>;

export interface FaithfulnessCurve {
  /** Share of the patches removed (deletion) or inserted (insertion), 0 … 1. */
  fractions: number[];
  scores: number[];
  /** Area under the curve over the fractions (trapezoids). Deletion: lower is more faithful; insertion: higher. */
  auc: number;
}

export interface Faithfulness {
  /** The grid the patches are cut on (the model's patch grid). */
  grid: StageGrid;
  /** Patch indices on that grid, most relevant first. */
  order: number[];
  deletion: FaithfulnessCurve;
  insertion: FaithfulnessCurve;
}

export interface FaithfulnessOptions {
  /** Points on each curve after the first (default 16, at most one per patch). */
  steps?: number;
  /** The value removed patches get, in normalised pixel space (default 0: the mean colour). */
  baseline?: number;
  /** Images per scorer call (default 8). */
  batch?: number;
}

/** A map on `grid`: each cell takes the value of the map's cell under its centre. */
export function resampleMap(map: RelevanceMap, grid: StageGrid): RelevanceMap {
  if (map.rows === grid.rows && map.cols === grid.cols) return { ...grid, values: map.values };
  const values = new Float64Array(grid.rows * grid.cols);
  for (let r = 0; r < grid.rows; r++) {
    const mr = Math.min(map.rows - 1, Math.floor(((r + 0.5) * grid.cellHeight) / map.cellHeight));
    for (let c = 0; c < grid.cols; c++) {
      const mc = Math.min(map.cols - 1, Math.floor(((c + 0.5) * grid.cellWidth) / map.cellWidth));
      values[r * grid.cols + c] = map.values[mr * map.cols + mc];
    }
  }
  return { ...grid, values };
}

/** Pixel rectangle [top, bottom) × [left, right) of a cell, clipped to the image; null when it lies outside. */
function cellPixels(grid: StageGrid, cell: number, [height, width]: [number, number]) {
  const r = Math.floor(cell / grid.cols);
  const c = cell % grid.cols;
  const top = r * grid.cellHeight;
  const left = c * grid.cellWidth;
  if (top >= height || left >= width) return null;
  return { top, left, bottom: Math.min(height, top + grid.cellHeight), right: Math.min(width, left + grid.cellWidth) };
}

function copyCell(from: Float32Array, to: Float32Array, rect: NonNullable<ReturnType<typeof cellPixels>>, [height, width]: [number, number], fill?: number): void {
  const plane = height * width;
  for (let ch = 0; ch < from.length / plane; ch++) {
    for (let y = rect.top; y < rect.bottom; y++) {
      const row = ch * plane + y * width;
      for (let x = rect.left; x < rect.right; x++) to[row + x] = fill ?? from[row + x];
    }
  }
}

export function curveArea(fractions: readonly number[], scores: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < fractions.length; i++) area += ((fractions[i] - fractions[i - 1]) * (scores[i] + scores[i - 1])) / 2;
  return area;
}

async function scoreAll(images: Float32Array[], score: Scorer, batch: number): Promise<number[]> {
  const out: number[] = [];
  for (let start = 0; start < images.length; start += batch) {
    const chunk = images.slice(start, start + batch);
    const pixels = new Float32Array(chunk.length * chunk[0].length);
    chunk.forEach((img, i) => pixels.set(img, i * img.length));
    const scores = await score(pixels, chunk.length);
    if (scores.length !== chunk.length || !scores.every(Number.isFinite)) throw new Error(`the scorer returned ${scores.length} scores for ${chunk.length} images, or a non-finite one`);
    out.push(...scores);
  }
  return out;
}

/**
 * Deletion and insertion curves of one image (`image`: 3·H·W normalised pixels of the model's
 * input `size` [H, W]) for `map`, on the patch grid `grid`.
 */
export async function faithfulness(map: RelevanceMap, grid: StageGrid, image: Float32Array, size: [number, number], score: Scorer, options: FaithfulnessOptions = {}): Promise<Faithfulness> {
  const onGrid = resampleMap(map, grid);
  const order = relevanceOrder(onGrid.values).filter((cell) => cellPixels(grid, cell, size) !== null);
  const steps = Math.max(1, Math.min(options.steps ?? 16, order.length));
  const baseline = options.baseline ?? 0;
  const counts = Array.from({ length: steps + 1 }, (_, i) => Math.round((i * order.length) / steps));
  const empty = new Float32Array(image.length).fill(baseline);
  const deleted: Float32Array[] = [];
  const inserted: Float32Array[] = [];
  for (const k of counts) {
    const del = Float32Array.from(image);
    const ins = Float32Array.from(empty);
    for (const cell of order.slice(0, k)) {
      const rect = cellPixels(grid, cell, size)!;
      copyCell(image, del, rect, size, baseline);
      copyCell(image, ins, rect, size);
    }
    deleted.push(del);
    inserted.push(ins);
  }
  const scores = await scoreAll([...deleted, ...inserted], score, options.batch ?? 8);
  const fractions = counts.map((k) => k / order.length);
  const curve = (s: number[]): FaithfulnessCurve => ({ fractions, scores: s, auc: curveArea(fractions, s) });
  return { grid, order, deletion: curve(scores.slice(0, counts.length)), insertion: curve(scores.slice(counts.length)) };
}
