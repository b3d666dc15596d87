import type { GpuOp } from './gpu-tensor.ts';
import { OpRecording } from './ops/context.ts';
import { elementwiseImpls } from './ops/elementwise.ts';
import { linalgImpls } from './ops/linalg.ts';
import { logicImpls } from './ops/logic.ts';
import { movementImpls } from './ops/movement.ts';
import { paddingImpls } from './ops/padding.ts';
import { quantLinearImpls } from './ops/quant-linear.ts';
import { rowImpls } from './ops/rows.ts';

/** Ops whose output is the input's buffer under new dims: no kernel runs. */
const VIEW_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

export function isViewOp(opType: string): boolean {
  return VIEW_OPS.has(opType);
}

const impls = { ...elementwiseImpls, ...logicImpls, ...movementImpls, ...paddingImpls, ...linalgImpls, ...rowImpls, ...quantLinearImpls };

/** The WebGPU implementation of every runtime op, by opKey. */
export const gpuOps: Record<string, GpuOp> = Object.fromEntries(
  Object.entries(impls).map(([key, impl]) => [
    key,
    ((ctx, batch, node, inputs, outputs, plan) => {
      const r = new OpRecording(ctx, batch, node, inputs, outputs, plan.opset, plan.constants);
      try {
        impl(r);
      } finally {
        r.releaseTemps();
      }
    }) satisfies GpuOp,
  ]),
);
