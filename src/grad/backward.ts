import type { GpuTensor } from '../engine/gpu-tensor.ts';
import { elementCount } from '../engine/kernels/dispatch.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { CommandBatch } from '../gpu/encoder.ts';
import type { Node } from '../onnx/ir.ts';
import { recordAccumulate, recordFill } from './kernels.ts';
import { recordParameterBackward } from './parameters.ts';
import type { ForwardPass } from './program.ts';
import type { Region } from './region.ts';
import { BackwardRecording } from './rule.ts';

interface BackwardJob {
  region: Region;
  forward: ForwardPass;
  seeds: Map<string, GpuTensor>;
  constant: (name: string) => GpuTensor | undefined;
  extras: (node: Node) => Record<string, GPUBuffer>;
}

/**
 * Records the backward pass of a region: the nodes in reverse, each turning its outputs' gradients
 * into its inputs' with its rule; a value read by several nodes sums what comes back from each.
 * Gradient buffers come from the pool and go back as soon as their node has run.
 */
export function recordBackward(ctx: GpuContext, cmd: CommandBatch, job: BackwardJob): { values: Map<string, GpuTensor>; parameters: Map<string, GpuTensor> } {
  const { region, forward } = job;
  const wrt = new Set(region.spec.wrt ?? []);
  const grads = new Map<string, GpuTensor>();
  const values = new Map<string, GpuTensor>();
  const parameters = new Map<string, GpuTensor>();
  const acquire = (dims: number[], label: string): GpuTensor => ({ buffer: ctx.buffers.acquire(Math.max(4, elementCount(dims) * 4), label), dims, dtype: 'f32' });
  const contribute = (name: string, t: GpuTensor) => {
    const have = grads.get(name);
    if (!have) {
      grads.set(name, t);
      return;
    }
    recordAccumulate(ctx, cmd, have, t);
    ctx.buffers.release(t.buffer);
  };
  for (const [name, t] of job.seeds) contribute(name, { ...t, dims: region.plan.shapes.get(name)?.dims ?? t.dims });
  const forwardValue = (name: string) => (name ? forward.values.get(name) ?? job.constant(name) : undefined);

  for (let b = region.backward.length - 1; b >= 0; b--) {
    const { node, wants, rule, parameter } = region.backward[b];
    const outGrads = node.outputs.map((o) => grads.get(o));
    if (outGrads.every((g) => !g)) continue;
    // A wanted value's gradient is complete once every reader has run: keep a copy before its producer consumes it.
    node.outputs.forEach((o, j) => {
      const g = outGrads[j];
      if (!g || !wrt.has(o)) return;
      const copy = acquire(g.dims, `grad ${o}`);
      cmd.copy(g.buffer, copy.buffer, elementCount(g.dims) * 4);
      values.set(o, copy);
    });
    const dims = { inputs: node.inputs.map((n) => region.plan.shapes.get(n)?.dims ?? []), outputs: node.outputs.map((n) => region.plan.shapes.get(n)?.dims ?? []) };
    const r = new BackwardRecording(
      ctx, cmd, node, region.plan.opset,
      { inputs: node.inputs.map(forwardValue), outputs: node.outputs.map(forwardValue) },
      outGrads, wants, dims, node.inputs.map((n) => region.plan.constants.get(n)), job.extras(node),
    );
    if (parameter) {
      const dW = acquire([parameter.N, parameter.K], `grad ${parameter.layer.name}`);
      const weight = forward.weights.get(parameter.layer.name)!;
      recordParameterBackward(ctx, cmd, parameter, r.input(0), weight, outGrads[0]!, wants[0] ? r.newGrad(0) : null, dW);
      parameters.set(parameter.layer.name, dW);
    } else {
      rule.gpu(r);
    }
    r.releaseTemps();
    node.outputs.forEach((o, j) => {
      if (!outGrads[j]) return;
      grads.delete(o);
      if (!r.wasTaken(j)) ctx.buffers.release(outGrads[j]!.buffer);
    });
    for (const { index, tensor } of r.given) contribute(node.inputs[index], tensor);
  }

  for (const name of wrt) {
    if (values.has(name)) continue;
    const g = grads.get(name);
    if (g) {
      grads.delete(name);
      values.set(name, g);
    } else {
      const zero = acquire(region.plan.shapes.get(name)!.dims, `grad ${name}`);
      recordFill(ctx, cmd, zero, 0);
      values.set(name, zero);
    }
  }
  for (const site of region.parameters.values()) {
    if (parameters.has(site.layer.name)) continue;
    const zero = acquire([site.N, site.K], `grad ${site.layer.name}`);
    recordFill(ctx, cmd, zero, 0);
    parameters.set(site.layer.name, zero);
  }
  for (const g of grads.values()) ctx.buffers.release(g.buffer);
  return { values, parameters };
}
