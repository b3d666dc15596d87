import { InputShapeError } from '../onnx/prepare.ts';
import type { Model } from '../onnx/ir.ts';

/** [height, width] when the model's first input is [batch, C, H, W] with fixed H and W. */
export function modelImageSize(model: Model): [number, number] | null {
  const shape = model.graph.inputs[0]?.shape;
  if (!shape || shape.length !== 4) return null;
  const [, , h, w] = shape;
  return typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? [h, w] : null;
}

/** The batch size a model was exported with when it is fixed (e.g. 1), or null when it is dynamic. */
export function fixedBatch(model: Model): number | null {
  const d = model.graph.inputs[0]?.shape?.[0];
  return typeof d === 'number' && d > 0 ? d : null;
}

/** Split `count` items into runs of at most `preferred`, or exactly the model's fixed batch. */
export function batchSizes(model: Model, count: number, preferred: number): number[] {
  const fixed = fixedBatch(model);
  const size = fixed ?? Math.max(1, preferred);
  if (fixed !== null && fixed !== 1 && count % fixed !== 0) {
    throw new InputShapeError(`the model takes exactly ${fixed} images at a time; give a multiple of ${fixed} images (got ${count})`);
  }
  const sizes: number[] = [];
  for (let left = count; left > 0; left -= size) sizes.push(Math.min(size, left));
  return sizes;
}
