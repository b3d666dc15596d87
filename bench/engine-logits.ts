/** The studio engine's logits for NCHW images, BATCH at a time, with the time per image. */
import { BATCH } from './faces.ts';
import { GpuModel, type OpExtensions } from '../src/engine/session.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import type { Model } from '../src/onnx/ir.ts';

function perImageOf(m: Model): number {
  return (m.graph.inputs[0].shape ?? []).slice(1).reduce((a: number, b) => a * (typeof b === 'number' ? b : 1), 1);
}

export async function engineLogits(ctx: GpuContext, m: Model, pixels: Float32Array, extensions?: OpExtensions): Promise<{ rows: number[][]; ms: number }> {
  const g = new GpuModel(ctx, m, extensions);
  const input = m.graph.inputs[0].name;
  const output = m.graph.outputs[0].name;
  const per = perImageOf(m);
  const count = pixels.length / per;
  const rows: number[][] = [];
  const start = performance.now();
  try {
    for (let s = 0; s < count; s += BATCH) {
      const n = Math.min(BATCH, count - s);
      const data = (await g.run({ [input]: pixels.subarray(s * per, (s + n) * per) }, n)).outputs[output].data;
      const classes = data.length / n;
      for (let i = 0; i < n; i++) rows.push(Array.from(data.subarray(i * classes, (i + 1) * classes)));
    }
  } finally {
    g.dispose();
  }
  return { rows, ms: (performance.now() - start) / rows.length };
}
