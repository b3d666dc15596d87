/**
 * `count` calibration images spread evenly over all of them (every one when there are fewer), in
 * their order: a folder read class by class then still gives both classes to the images a stage samples.
 */
export function takeImages(batches: readonly { pixels: Float32Array; count: number }[], count: number): { pixels: Float32Array; count: number } {
  const perImage = batches[0].pixels.length / batches[0].count;
  const total = batches.reduce((n, b) => n + b.count, 0);
  const n = Math.min(count, total);
  const pixels = new Float32Array(n * perImage);
  let batch = 0;
  let first = 0; // index of batches[batch]'s first image
  for (let i = 0; i < n; i++) {
    const index = Math.floor((i * total) / n);
    while (index >= first + batches[batch].count) first += batches[batch++].count;
    const at = (index - first) * perImage;
    pixels.set(batches[batch].pixels.subarray(at, at + perImage), i * perImage);
  }
  return { pixels, count: n };
}
