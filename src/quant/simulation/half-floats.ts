import { analyzeModel } from '../../model/summary.ts';
import { floatToHalf, halfToFloat } from '../../onnx/dtypes.ts';
import { elementCount, type Model, type Tensor } from '../../onnx/ir.ts';
import { worthHalving, type FloatParams } from '../../storage/half-floats.ts';

/** The largest finite float16. */
export const HALF_MAX = 65504;

/**
 * The float16 value nearest a float32 value, ties to even, subnormals kept (spacing 2^-24 below
 * 2^-14); ±Infinity beyond the float16 range. A float64 argument is first rounded to float32, as
 * a float32 initializer holds it. The same conversion the ONNX encoder uses for float16 tensors.
 */
export function roundToHalf(x: number): number {
  return halfToFloat(floatToHalf(x));
}

export interface HalfFloats {
  /** The tensors rounded to float16, with their value counts. */
  rounded: { name: string; count: number }[];
  /** Tensors left in float32 because a value is beyond the float16 range (or not finite). */
  kept: string[];
}

/**
 * The model with every float32 initializer that stays in float rounded to float16 values:
 * every one but the weights of quantizable layers (the layers the pipeline quantizes) and
 * tensors too small to pay for their Cast. Deterministic,
 * and idempotent: a model already rounded comes back unchanged.
 */
export function halfFloatModel(model: Model): { model: Model } & HalfFloats {
  const init = model.graph.initializers;
  const weights = new Set(analyzeModel(model).layers.filter((l) => init.has(l.weight)).map((l) => l.weight));
  const out = new Map(init);
  const rounded: HalfFloats['rounded'] = [];
  const kept: string[] = [];
  for (const [name, t] of init) {
    const count = elementCount(t.dims);
    if (t.dtype !== 'float32' || weights.has(name) || !worthHalving(name, count)) continue;
    const data = Float32Array.from(t.data as Float32Array, roundToHalf);
    if (!data.every(Number.isFinite)) {
      kept.push(name);
      continue;
    }
    out.set(name, { ...t, data } satisfies Tensor);
    rounded.push({ name, count });
  }
  return { model: { ...model, graph: { ...model.graph, initializers: out } }, rounded, kept };
}

/** The float model a run with these settings quantizes: `model`, or it with its float parameters rounded to float16. */
export function floatModelFor(model: Model, floatParams: FloatParams | undefined): Model {
  return floatParams === 'fp16' ? halfFloatModel(model).model : model;
}
