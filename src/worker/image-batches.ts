/** Files the UI handed over, decoded and preprocessed into GPU-sized batches; shared by every worker service. */
import { labelledSet, listImages, type FileSource } from '../data/dataset.ts';
import { decodeImageBrowser } from '../data/decode-browser.ts';
import { fitImage, preprocess, type PreprocessOptions } from '../data/preprocess.ts';
import type { LabelledBatch } from '../quant/evaluation/evaluate.ts';
import type { RgbaImage } from './analysis-api.ts';

export interface ImageBatch {
  pixels: Float32Array;
  count: number;
  names: string[];
}

/** Decoded, preprocessed batches of at most `batch` images, in the dataset's sorted order. */
export async function imageBatches(files: readonly FileSource[], options: PreprocessOptions, batch: number, where: string): Promise<ImageBatch[]> {
  const sources = listImages(files, where);
  const batches: ImageBatch[] = [];
  for (let start = 0; start < sources.length; start += batch) {
    const chunk = sources.slice(start, start + batch);
    const decoded = [];
    for (const s of chunk) decoded.push(await decodeImageBrowser(await s.read(), s.name));
    batches.push({ pixels: preprocess(decoded, options), count: chunk.length, names: chunk.map((c) => c.name) });
  }
  return batches;
}

/** A labelled set (paths with real/ and fake/) as batches for evaluation. */
export async function labelledBatches(files: readonly FileSource[], options: PreprocessOptions, batch: number, where: string): Promise<LabelledBatch[]> {
  const set = labelledSet(files, where);
  const isFake = new Map(set.images.map((i) => [i.file.name, i.isFake]));
  const batches = await imageBatches(set.images.map((i) => i.file), options, batch, where);
  return batches.map((b) => ({ pixels: b.pixels, count: b.count, isFake: b.names.map((n) => isFake.get(n)!) }));
}

/** One image as the model sees it: its preprocessed pixels, and the resized RGBA picture to draw. */
export async function modelImage(file: FileSource, options: PreprocessOptions): Promise<{ pixels: Float32Array; picture: RgbaImage }> {
  const decoded = await decodeImageBrowser(await file.read(), file.name);
  const fitted = fitImage(decoded, options);
  const rgba = new Uint8ClampedArray(fitted.width * fitted.height * 4);
  for (let i = 0; i < fitted.width * fitted.height; i++) {
    rgba.set([fitted.data[3 * i], fitted.data[3 * i + 1], fitted.data[3 * i + 2], 255], 4 * i);
  }
  return { pixels: preprocess([decoded], options), picture: { width: fitted.width, height: fitted.height, rgba } };
}
