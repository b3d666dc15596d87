/**
 * Running a model on the GPU with its attention tapped, and reading the layout from the same
 * plan: the bridge between the engine and the maps.
 */
import { GpuModel } from '../engine/session.ts';
import { fixedBatch } from '../model/input.ts';
import type { ModelStructure } from '../model/summary.ts';
import type { PreparedGraph } from '../onnx/prepare.ts';
import { additiveTaps, explainLayout, type ExplainLayout, type ValueLookup } from './layout.ts';
import type { TapReader } from './maps.ts';
import type { TensorLike } from './windows.ts';

/** Shapes and constants from a prepared plan, then tapped values. */
export function planLookup(plan: Pick<PreparedGraph, 'shapes' | 'constants'>, taps?: ReadonlyMap<string, TensorLike>): ValueLookup {
  return {
    dims: (name) => plan.shapes.get(name)?.dims,
    value: (name) => plan.constants.get(name) ?? taps?.get(name),
  };
}

export function tapReader(taps: ReadonlyMap<string, TensorLike>): TapReader {
  return (name) => {
    const t = taps.get(name);
    if (!t) throw new Error(`the attention probabilities ${name} were not captured`);
    return t;
  };
}

export interface CapturedBatch {
  layout: ExplainLayout;
  taps: TapReader;
  /** Logits, one row per image of the batch. */
  logits: number[][];
  /** Images in the batch the model ran (a fixed-batch model runs the images repeated), and the pixels it ran. */
  batch: number;
  input: Float32Array;
}

/**
 * Run `count` preprocessed images (NCHW, float32) through `gpu` with every attention core
 * tapped. A model exported with a fixed batch gets the last image repeated to fill it.
 */
export async function captureAttention(gpu: GpuModel, structure: ModelStructure, pixels: Float32Array, count: number): Promise<CapturedBatch> {
  const fixed = fixedBatch(gpu.model);
  if (fixed !== null && count > fixed) throw new RangeError(`the model takes exactly ${fixed} images at a time; got ${count}`);
  const batch = fixed ?? count;
  const perImage = pixels.length / count;
  const input = new Float32Array(perImage * batch);
  input.set(pixels);
  for (let b = count; b < batch; b++) input.set(pixels.subarray((count - 1) * perImage), b * perImage);
  const plan = gpu.plan(batch);
  const names = [...structure.attention.map((c) => c.probs), ...additiveTaps(structure, (n) => plan.constants.has(n))];
  const result = await gpu.run({ [gpu.model.graph.inputs[0].name]: input }, batch, { taps: names });
  const layout = explainLayout(gpu.model, structure, batch, planLookup(plan, result.taps));
  const out = result.outputs[gpu.model.graph.outputs[0].name];
  const classes = out.data.length / batch;
  const logits = Array.from({ length: count }, (_, i) => Array.from(out.data.subarray(i * classes, (i + 1) * classes)));
  return { layout, taps: tapReader(result.taps), logits, batch, input };
}
