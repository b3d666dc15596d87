import type { Model } from '../onnx/ir.ts';

/** [height, width] when the model's first input is [batch, C, H, W] with fixed H and W. */
export function modelImageSize(model: Model): [number, number] | null {
  const shape = model.graph.inputs[0]?.shape;
  if (!shape || shape.length !== 4) return null;
  const [, , h, w] = shape;
  return typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? [h, w] : null;
}
