/** --images DIR → sorted, decoded, preprocessed batches, every failure naming the file. */
import type { ImageDecoder } from '../src/data/decode.ts';
import { listImages } from '../src/data/dataset.ts';
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
