/**
 * Explaining images with a float model and, optionally, its quantized version side by side: the
 * maps of each, their agreement block by block and for the whole model, and the fake scores.
 */
import { fakeProbability } from '../data/metrics.ts';
import type { GpuModel } from '../engine/session.ts';
import { fixedBatch } from '../model/input.ts';
import type { ModelStructure } from '../model/summary.ts';
import { captureAttention, tapReader, type CapturedBatch } from './capture.ts';
import { compareExplanations, type ExplanationComparison } from './compare.ts';
import type { Scorer } from './faithfulness.ts';
import { ExplainLayoutError, type ExplainLayout } from './layout.ts';
import { explainImage, type Explanation, type TapReader } from './maps.ts';
import { assertAvailable, FORWARD_ONLY, type ExplainCapabilities, type MapMethod } from './methods.ts';

/** A model on the GPU with its analysed structure. */
export interface ExplainModel {
  gpu: GpuModel;
  structure: ModelStructure;
}

export interface ModelExplanation {
  explanation: Explanation;
  layout: ExplainLayout;
  logits: number[];
  /** Probability of the fake class. */
  score: number;
}

export interface ExplainedImage {
  fp: ModelExplanation;
  quantized: ModelExplanation | null;
  /** Null without a quantized model. */
  comparison: ExplanationComparison | null;
}

export interface ExplainOptions {
  method: MapMethod;
  fakeIndex: number;
  capabilities?: ExplainCapabilities;
}

const describeStages = (l: ExplainLayout) => `${l.cores.length} attention blocks on ${l.stages.map((s) => `${s.rows}×${s.cols}`).join(', ')}`;

/** The quantized model must attend over the same tokens as the float one, block for block. */
function checkSameLayout(fp: ExplainLayout, quantized: ExplainLayout): void {
  const same = fp.kind === quantized.kind && fp.cores.length === quantized.cores.length
    && fp.stages.length === quantized.stages.length && fp.stages.every((s, i) => s.rows === quantized.stages[i].rows && s.cols === quantized.stages[i].cols)
    && fp.cores.every((c, i) => c.stage === quantized.cores[i].stage);
  if (!same) throw new ExplainLayoutError(`the quantized model's attention (${describeStages(quantized)}) does not match the float model's (${describeStages(fp)})`);
}

/** Images per run: up to `preferred`, or up to a fixed-batch model's batch (a short run is padded by repeating an image). */
function runSizes(gpu: GpuModel, count: number, preferred: number): number[] {
  const size = fixedBatch(gpu.model) ?? Math.max(1, preferred);
  const sizes: number[] = [];
  for (let left = count; left > 0; left -= size) sizes.push(Math.min(size, left));
  return sizes;
}

interface CapturedImage {
  captured: CapturedBatch;
  image: number;
  gradients?: TapReader;
}

/** Every image's taps; for the gradient method, the gradients of the fake logit with respect to the attention too. */
async function captureAll(model: ExplainModel, pixels: Float32Array, count: number, batch: number, options: ExplainOptions): Promise<CapturedImage[]> {
  const perImage = pixels.length / count;
  const source = options.method === 'gradient' ? options.capabilities?.gradients ?? undefined : undefined;
  const out: CapturedImage[] = [];
  let start = 0;
  for (const size of runSizes(model.gpu, count, batch)) {
    const captured = await captureAttention(model.gpu, model.structure, pixels.subarray(start * perImage, (start + size) * perImage), size);
    const probs = model.structure.attention.map((c) => c.probs);
    const target = { output: model.gpu.model.graph.outputs[0].name, index: options.fakeIndex };
    const gradients = source && tapReader(await source.attentionGradients(model.gpu.model, captured.input, captured.batch, probs, target));
    for (let i = 0; i < size; i++) out.push({ captured, image: i, gradients });
    start += size;
  }
  return out;
}

function explainCaptured({ captured, image, gradients }: CapturedImage, method: MapMethod, fakeIndex: number): ModelExplanation {
  const logits = captured.logits[image];
  const explanation = explainImage(captured.layout, captured.taps, image, method, gradients);
  return { explanation, layout: captured.layout, logits, score: fakeProbability(logits, fakeIndex) };
}

/**
 * Maps of `count` preprocessed images (NCHW) for the float model and, when given, the quantized
 * one, run `batch` images at a time.
 */
export async function explainImages(fp: ExplainModel, quantized: ExplainModel | null, pixels: Float32Array, count: number, options: ExplainOptions, batch = 8): Promise<ExplainedImage[]> {
  assertAvailable(options.method, options.capabilities ?? FORWARD_ONLY);
  const fpRuns = await captureAll(fp, pixels, count, batch, options);
  const qRuns = quantized ? await captureAll(quantized, pixels, count, batch, options) : null;
  return fpRuns.map((run, i) => {
    const f = explainCaptured(run, options.method, options.fakeIndex);
    if (!qRuns) return { fp: f, quantized: null, comparison: null };
    const q = explainCaptured(qRuns[i], options.method, options.fakeIndex);
    checkSameLayout(f.layout, q.layout);
    return { fp: f, quantized: q, comparison: compareExplanations(f.explanation, q.explanation) };
  });
}

/** Fake-class probabilities from a model on the GPU, in runs its batch allows. */
export function gpuScorer(gpu: GpuModel, fakeIndex: number): Scorer {
  const input = gpu.model.graph.inputs[0].name;
  const output = gpu.model.graph.outputs[0].name;
  const fixed = fixedBatch(gpu.model);
  return async (pixels, count) => {
    const perImage = pixels.length / count;
    const scores: number[] = [];
    let start = 0;
    for (const size of runSizes(gpu, count, count)) {
      const run = fixed ?? size;
      const batch = new Float32Array(run * perImage);
      batch.set(pixels.subarray(start * perImage, (start + size) * perImage));
      const logits = (await gpu.run({ [input]: batch }, run)).outputs[output].data;
      const classes = logits.length / run;
      for (let i = 0; i < size; i++) scores.push(fakeProbability(Array.from(logits.subarray(i * classes, (i + 1) * classes)), fakeIndex));
      start += size;
    }
    return scores;
  };
}
