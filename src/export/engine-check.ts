import { GpuModel } from '../engine/session.ts';
import type { GpuContext } from '../gpu/device.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { Model, Node } from '../onnx/ir.ts';
import { quantGpuOps, quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';

/**
 * For tests: an exported file run by the studio's own engine on the GPU, beside the simulated
 * model it came from. The largest |logit| difference from either the GPU simulation or the float64
 * reference, and the nodes the engine's plan for the file runs at that batch.
 */
export async function engineAgainstSimulation(
  ctx: GpuContext, bytes: Uint8Array, simulated: Model, reference: ArrayLike<number>, pixels: Float32Array, batch: number,
): Promise<{ worst: number; planned: Node[] }> {
  const exported = new GpuModel(ctx, decodeModel(bytes));
  const sim = new GpuModel(ctx, simulated, { reference: quantReferenceOps, gpu: quantGpuOps });
  try {
    const input = simulated.graph.inputs[0].name;
    const output = simulated.graph.outputs[0].name;
    const a = (await exported.run({ [input]: pixels }, batch)).outputs[output].data;
    const b = (await sim.run({ [input]: pixels }, batch)).outputs[output].data;
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]), Math.abs(v - reference[i]))));
    return { worst, planned: exported.plan(batch).nodes };
  } finally {
    exported.dispose();
    sim.dispose();
  }
}
