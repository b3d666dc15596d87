/** --images DIR → sorted, decoded, preprocessed batches, every failure naming the file. */
import type { ImageDecoder } from '../src/data/decode.ts';
import { labelledSet, listImages, type FileSource } from '../src/data/dataset.ts';
import { filesFromDirectory } from '../src/data/fs-node.ts';
import { preprocess, type PreprocessOptions } from '../src/data/preprocess.ts';
import type { InputBatch } from './core.ts';

export async function loadImageBatches(dir: string, opts: PreprocessOptions, batchSize: number, decode: ImageDecoder): Promise<InputBatch[]> {
  const files = listImages(await filesFromDirectory(dir), dir);
  const [h, w] = opts.size;
  const batches: InputBatch[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const chunk = files.slice(start, start + batchSize);
    // Decoded RGB lives only for its batch; the float batches are what we keep.
    const decoded = [];
    for (const file of chunk) decoded.push(await decode(await file.read(), file.name));
    batches.push({ images: chunk.map((f) => f.name), pixels: preprocess(decoded, opts), dims: [chunk.length, 3, h, w] });
  }
  return batches;
}

export interface LabelledInputBatch extends InputBatch {
  isFake: boolean[];
}

/** DIR/real and DIR/fake (at any depth) → preprocessed batches with their labels. */
export async function loadLabelledBatches(dir: string, opts: PreprocessOptions, batchSize: number, decode: ImageDecoder, fakeIndex: number): Promise<LabelledInputBatch[]> {
  const set = labelledSet(await filesFromDirectory(dir, { recursive: true }), dir, fakeIndex);
  return decodeInBatches(set.images.map((i) => ({ file: i.file, isFake: i.isFake })), opts, batchSize, decode);
}

/** Up to `count` images from DIR and below, spread evenly over the sorted list (so both classes of a labelled folder are sampled). */
export async function loadSampleBatches(dir: string, opts: PreprocessOptions, batchSize: number, decode: ImageDecoder, count: number): Promise<InputBatch[]> {
  const files = listImages(await filesFromDirectory(dir, { recursive: true }), dir);
  const step = files.length / Math.min(count, files.length);
  const picked = Array.from({ length: Math.min(count, files.length) }, (_, i) => files[Math.floor(i * step)]!);
  return decodeInBatches(picked.map((file) => ({ file, isFake: false })), opts, batchSize, decode);
}

async function decodeInBatches(items: { file: FileSource; isFake: boolean }[], opts: PreprocessOptions, batchSize: number, decode: ImageDecoder): Promise<LabelledInputBatch[]> {
  const [h, w] = opts.size;
  const batches: LabelledInputBatch[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    const chunk = items.slice(start, start + batchSize);
    const decoded = [];
    for (const { file } of chunk) decoded.push(await decode(await file.read(), file.name));
    batches.push({ images: chunk.map((c) => c.file.name), pixels: preprocess(decoded, opts), dims: [chunk.length, 3, h, w], isFake: chunk.map((c) => c.isFake) });
  }
  return batches;
}
