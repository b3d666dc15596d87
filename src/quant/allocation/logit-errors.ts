import type { OpExtensions } from '../../engine/session.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { QuantLayer } from '../../model/layers.ts';
import type { Model } from '../../onnx/ir.ts';
import type { MeasuredErrorTable } from './error-models.ts';
import { QuantizedInputs } from '../simulation/quantized-inputs.ts';
import { fakeQuantWeight, weightParams, type WeightRange } from '../simulation/simulate.ts';

/**
 * The 'logits' error model's table: E_l(b) is how far the model's outputs move when layer l alone
 * is rounded to nearest at b bits, every other layer and every activation kept in float:
 *
 *   E_l(b) = (1/M) sum_m || c(f(x_m; Q_b(W_l))) - c(f(x_m)) ||^2,   c(y) = y - mean_j y_j
 *
 * over M calibration images. Centring drops the part of a change a softmax ignores; a single
 * output (a sigmoid's logit) is not centred, since all of its change counts. Unlike a
 * layer's own output error ('measured'), every entry is in the same unit, so the allocator can
 * weigh an early layer, whose error every later block carries, against the classifier's.
 *
 * Each variant runs only the nodes downstream of its layer: the float values before it are kept
 * (QuantizedInputs), so a late layer costs a fraction of a whole-model run.
 */
export interface LogitErrorOptions {
  range?: WeightRange;
  signal?: AbortSignal;
  /** After each (layer, width) variant: how many are done of how many. */
  onStep?: (done: number, total: number) => void;
}

export async function logitErrorTable(
  ctx: GpuContext,
  ops: OpExtensions,
  model: Model,
  layers: readonly QuantLayer[],
  images: { pixels: Float32Array; count: number; dims: number[] },
  candidates: readonly number[],
  options: LogitErrorOptions = {},
): Promise<MeasuredErrorTable> {
  const input = model.graph.inputs[0].name;
  const output = model.graph.outputs[0]?.name;
  if (!output) throw new Error('logit error table: the model has no output');
  const values = new QuantizedInputs(ctx, ops, input, images);
  const reference = centred(await outputOf(values, model, output), images.count);
  const total = layers.length * candidates.length;
  let done = 0;
  const errors: number[][] = [];
  for (const layer of layers) {
    const weight = model.graph.initializers.get(layer.weight);
    if (!weight) throw new Error(`logit error table: layer ${layer.name} has no constant weight`);
    // The float values up to this layer; every variant of it starts from them.
    await values.taps(model, [layer.input]);
    const row: number[] = [];
    for (const bits of candidates) {
      if (options.signal?.aborted) throw new DOMException('cancelled', 'AbortError');
      const initializers = new Map(model.graph.initializers);
      initializers.set(layer.weight, { ...weight, dtype: 'float32', data: fakeQuantWeight(layer, weight, weightParams(layer, weight, bits, options.range)) });
      const variant: Model = { ...model, graph: { ...model.graph, initializers } };
      values.invalidate(model, [layer.node]);
      const moved = centred(await outputOf(values, variant, output), images.count);
      values.invalidate(variant, [layer.node]);
      let sum = 0;
      for (let i = 0; i < moved.length; i++) sum += (moved[i] - reference[i]) ** 2;
      row.push(sum / images.count);
      options.onStep?.(++done, total);
    }
    errors.push(row);
  }
  return { candidates: [...candidates], errors };
}

/** A model's centred outputs on the images: the reference `jointLogitErrors` measures against. */
export async function centredLogits(
  ctx: GpuContext,
  ops: OpExtensions,
  model: Model,
  images: { pixels: Float32Array; count: number; dims: number[] },
): Promise<Float64Array> {
  const output = model.graph.outputs[0]?.name;
  if (!output) throw new Error('logit errors: the model has no output');
  return centred(await outputOf(new QuantizedInputs(ctx, ops, model.graph.inputs[0].name, images), model, output), images.count);
}

/**
 * E(b) of whole allocations measured jointly, as above but with every layer at its width at once
 * (and the activations as each simulated model quantizes them): what the table's sum predicts.
 * The reference (the float model's `centredLogits` on the same images) is computed once by the caller.
 */
export async function jointLogitErrors(
  ctx: GpuContext,
  ops: OpExtensions,
  reference: Float64Array,
  simulated: readonly Model[],
  images: { pixels: Float32Array; count: number; dims: number[] },
): Promise<number[]> {
  const errors: number[] = [];
  for (const m of simulated) {
    const b = await centredLogits(ctx, ops, m, images);
    if (b.length !== reference.length) throw new Error(`logit errors: ${b.length} outputs against a reference of ${reference.length}`);
    let sum = 0;
    for (let i = 0; i < reference.length; i++) sum += (reference[i] - b[i]) ** 2;
    errors.push(sum / images.count);
  }
  return errors;
}

async function outputOf(values: QuantizedInputs, model: Model, output: string): Promise<Float32Array> {
  const data = (await values.taps(model, [output])).get(output)!.data;
  if (!(data instanceof Float32Array)) throw new Error(`logit error table: output ${output} is not float32`);
  return data;
}

/** Each image's outputs minus their mean (float64); one output per image is kept as it is. */
function centred(y: Float32Array, images: number): Float64Array {
  const per = y.length / images;
  const out = new Float64Array(y.length);
  if (per === 1) {
    out.set(y);
    return out;
  }
  for (let m = 0; m < images; m++) {
    let mean = 0;
    for (let j = 0; j < per; j++) mean += y[m * per + j];
    mean /= per;
    for (let j = 0; j < per; j++) out[m * per + j] = y[m * per + j] - mean;
  }
  return out;
}
