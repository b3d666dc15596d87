import { accuracy, fakeScore, pairedAucDifference, predictedClass, rocAuc, type AucDifference } from '../../data/metrics.ts';
import type { GpuModel } from '../../engine/session.ts';
import type { QuantLayer } from '../../model/layers.ts';
import { inPieces, RUN_VALUE_BYTES } from '../calibration/pieces.ts';
import { pairedModel } from './paired-model.ts';

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
    for (const piece of inPieces(batch, model.imagesPerRun(RUN_VALUE_BYTES, batch.count))) {
      if (signal?.aborted) throw new DOMException('evaluation cancelled', 'AbortError');
      const out = (await model.run({ [input]: piece.pixels }, piece.count)).outputs[output];
      const classes = out.data.length / piece.count;
      for (let i = 0; i < piece.count; i++) logits.push(Array.from(out.data.subarray(i * classes, (i + 1) * classes)));
    }
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

/**
 * Signal-to-quantization-noise ratio in dB of each layer's output, FP vs quantized, on the same
 * images. Both models run in one paired graph (paired-model.ts) that reduces each pair of outputs
 * on the GPU: nothing but two sums per layer comes back.
 */
export async function layerSqnr(fp: GpuModel, quantized: GpuModel, layers: readonly QuantLayer[], batch: { pixels: Float32Array; count: number }): Promise<Map<string, number>> {
  const input = fp.model.graph.inputs[0].name;
  const paired = fp.derive(pairedModel(fp.model, quantized.model, layers.map((l) => [l.output, l.output])));
  const signal = new Float64Array(layers.length);
  const noise = new Float64Array(layers.length);
  try {
    for (const piece of inPieces(batch, paired.imagesPerRun(RUN_VALUE_BYTES, batch.count))) {
      const { outputs } = await paired.run({ [input]: piece.pixels }, piece.count);
      layers.forEach((_, i) => {
        const [s, n] = outputs[paired.model.graph.outputs[i].name].data;
        signal[i] += s;
        noise[i] += n;
      });
    }
  } finally {
    paired.dispose();
  }
  return new Map(layers.map((layer, i) => [layer.name, noise[i] === 0 ? Infinity : 10 * Math.log10(signal[i] / noise[i])]));
}
