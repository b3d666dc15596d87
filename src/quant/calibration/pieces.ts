/**
 * GPU memory a calibration or evaluation run may give its values (activations): a batch of a large
 * model runs in pieces of as many images as fit (GpuModel.imagesPerRun), so its activations stay
 * about one block's worth (ViT-B/16: two images; the face detector: the whole batch).
 */
export const RUN_VALUE_BYTES = 48 * 2 ** 20;

/** A batch of images (NCHW, batch-major) cut into runs of at most `size` images, in order. */
export function inPieces<B extends { pixels: Float32Array; count: number }>(batch: B, size: number): { pixels: Float32Array; count: number }[] {
  if (size >= batch.count) return [batch];
  const perImage = batch.pixels.length / batch.count;
  const out: { pixels: Float32Array; count: number }[] = [];
  for (let start = 0; start < batch.count; start += size) {
    const count = Math.min(size, batch.count - start);
    out.push({ pixels: batch.pixels.subarray(start * perImage, (start + count) * perImage), count });
  }
  return out;
}
