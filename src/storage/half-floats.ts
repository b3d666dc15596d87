/**
 * Float parameters that are not a quantized layer's weight (position embedding, class token,
 * LayerNorm scales and shifts, biases): kept in float32, or rounded to float16 before
 * calibration, so the simulation, the reconstruction and the exported file (which stores them as
 * float16, src/export/half-floats.ts) all compute with the same values.
 */
export type FloatParams = 'fp32' | 'fp16';

/**
 * Whether storing a float tensor as float16 pays: it saves 2 bytes a value, and the file gains a
 * Cast node and a renamed initializer (about 4 names' length plus 48 bytes). Small constants,
 * an epsilon or an attention scale, keep their full precision.
 */
export function worthHalving(name: string, count: number): boolean {
  return 2 * count >= 48 + 4 * name.length;
}
