import { accuracy, fakeScore, pairedAucDifference, predictedClass, rocAuc, type AucDifference } from '../../data/metrics.ts';
import type { GpuModel } from '../../engine/session.ts';
import type { QuantLayer } from '../../model/layers.ts';

export interface LabelledBatch {
  pixels: Float32Array;
  count: number;
  isFake: boolean[];
}

export interface Scores {
  n: number;
  accuracy: number;
  auc: number;
  logits: number[][];
}

/** Logits of a model over labelled batches, and its accuracy and ROC-AUC. */
export async function score(model: GpuModel, batches: readonly LabelledBatch[], fakeIndex = 1, signal?: AbortSignal): Promise<Scores> {
  const input = model.model.graph.inputs[0].name;
  const output = model.model.graph.outputs[0].name;
  const logits: number[][] = [];
  const labels: boolean[] = [];
  for (const batch of batches) {
    if (signal?.aborted) throw new DOMException('evaluation cancelled', 'AbortError');
    const out = (await model.run({ [input]: batch.pixels }, batch.count)).outputs[output];
    const classes = out.data.length / batch.count;
    for (let i = 0; i < batch.count; i++) logits.push(Array.from(out.data.subarray(i * classes, (i + 1) * classes)));
    labels.push(...batch.isFake);
  }
  return {
    n: logits.length,
    accuracy: accuracy(logits, labels, fakeIndex),
    auc: rocAuc(logits.map((l) => fakeScore(l, fakeIndex)), labels),
    logits,
  };
}

/**
 * AUC(a) minus AUC(b) on the same labelled images, with its paired (DeLong) standard error; null
 * with fewer than two images of a class, where the error is not defined.
 */
export function pairedAucChange(a: Scores, b: Scores, batches: readonly LabelledBatch[], fakeIndex = 1): AucDifference | null {
  const isFake = batches.flatMap((batch) => batch.isFake);
  const fakes = isFake.filter(Boolean).length;
  if (fakes < 2 || isFake.length - fakes < 2) return null;
  const scores = (s: Scores) => s.logits.map((l) => fakeScore(l, fakeIndex));
  return pairedAucDifference(scores(a), scores(b), isFake);
}

/** The share of images on which two models predict the same class. */
export function agreement(a: readonly number[][], b: readonly number[][]): number {
  let same = 0;
  a.forEach((row, i) => (same += predictedClass(row) === predictedClass(b[i]) ? 1 : 0));
  return a.length ? same / a.length : 0;
}

/** Signal-to-quantization-noise ratio in dB of each layer's output, FP vs quantized, on the same images. */
export async function layerSqnr(fp: GpuModel, quantized: GpuModel, layers: readonly QuantLayer[], batch: { pixels: Float32Array; count: number }): Promise<Map<string, number>> {
  const input = fp.model.graph.inputs[0].name;
  const taps = layers.map((l) => l.output);
  const a = (await fp.run({ [input]: batch.pixels }, batch.count, { taps })).taps;
  const b = (await quantized.run({ [input]: batch.pixels }, batch.count, { taps })).taps;
  const out = new Map<string, number>();
  for (const layer of layers) {
    const x = a.get(layer.output)!.data;
    const y = b.get(layer.output)!.data;
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < x.length; i++) {
      signal += x[i] * x[i];
      noise += (x[i] - y[i]) ** 2;
    }
    out.set(layer.name, noise === 0 ? Infinity : 10 * Math.log10(signal / noise));
  }
  return out;
}
