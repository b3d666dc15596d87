import type { GpuTensor } from '../engine/gpu-tensor.ts';
import { elementCount, offsetOf } from '../engine/kernels/dispatch.ts';
import { recordMatmul } from '../engine/kernels/matmul.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { CommandBatch } from '../gpu/encoder.ts';
import { attrFloat, attrInt, unsupported } from '../onnx/ops/attrs.ts';
import { recordMatmulTN } from './kernels.ts';
import type { ParameterSite } from './region.ts';

/**
 * A layer whose weight is a variable W (N x K): y = x·Wᵀ (+ bias) over every row of x, then
 * dx = g·W and dW = gᵀx, summed over all rows (every token of every image). The weight is the
 * caller's buffer, e.g. AdaRound's soft-quantized weight, rebuilt at each step.
 */

/** The Gemm bias added in the product kernel, or null for a MatMul (its bias is a separate Add). */
function gemmBias(site: ParameterSite, inputs: (GpuTensor | undefined)[]): GpuTensor | null {
  const { node } = site;
  if (node.opType !== 'Gemm') return null;
  const op = { node, opset: 0 };
  if (attrInt(op, 'transA', 0) !== 0 || attrFloat(op, 'alpha', 1) !== 1) throw unsupported(op, `layer ${site.layer.name}: a variable weight needs transA = 0 and alpha = 1`);
  const c = inputs[2];
  if (!c) return null;
  if (attrFloat(op, 'beta', 1) !== 1 || elementCount(c.dims) !== site.N || offsetOf(c) !== 0) throw unsupported(op, `layer ${site.layer.name}: a variable weight needs a bias of ${site.N} values and beta = 1`);
  return c;
}

export function recordParameterForward(
  ctx: GpuContext, cmd: CommandBatch, site: ParameterSite, inputs: (GpuTensor | undefined)[], weight: GpuTensor, out: GpuTensor,
): void {
  const x = inputs[0]!;
  if (offsetOf(x) !== 0) throw unsupported({ node: site.node, opset: 0 }, 'an offset view as input');
  const rows = elementCount(x.dims) / site.K;
  recordMatmul(ctx, cmd, x.buffer, weight.buffer, out.buffer, { M: rows, K: site.K, N: site.N, transB: true }, gemmBias(site, inputs)?.buffer ?? null);
}

/** dx = g·W (when wanted) and dW = gᵀx, into fresh tensors. */
export function recordParameterBackward(
  ctx: GpuContext, cmd: CommandBatch, site: ParameterSite, x: GpuTensor, weight: GpuTensor, g: GpuTensor, dx: GpuTensor | null, dW: GpuTensor,
): void {
  const rows = elementCount(x.dims) / site.K;
  if (dx) recordMatmul(ctx, cmd, g.buffer, weight.buffer, dx.buffer, { M: rows, K: site.N, N: site.K });
  recordMatmulTN(ctx, cmd, g, x, dW, { R: rows, K: site.N, N: site.K, batch: 1 });
}
