import type { GpuContext } from '../gpu/device.ts';
import type { Model } from '../onnx/ir.ts';
import { GpuModel } from './session.ts';

/**
 * What this adapter achieves on a product of a transformer layer's size (128 rows, 512 by 512),
 * through the engine as a model runs it: floating-point operations per second, measured once per
 * device (a first run compiles the kernels and is not timed). Used to turn a run's price in FLOPs
 * (quant/stage-costs.ts) into an estimated time; real runs also spend time outside products, so
 * estimates made with it are a lower bound.
 */
export async function measuredRate(ctx: GpuContext): Promise<number> {
  let rate = rates.get(ctx);
  if (!rate) rates.set(ctx, (rate = measure(ctx)));
  return rate;
}

const rates = new WeakMap<GpuContext, Promise<number>>();

const M = 128;
const K = 512;
const N = 512;

async function measure(ctx: GpuContext): Promise<number> {
  const weight = new Float32Array(K * N).map((_, i) => Math.sin(i) * 0.02);
  const model: Model = {
    irVersion: 8, opsets: [{ domain: '', version: 17 }], producerName: '', producerVersion: '', metadata: {},
    graph: {
      name: 'rate', valueInfo: new Map(),
      initializers: new Map([['w', { name: 'w', dtype: 'float32', dims: [K, N], data: weight }]]),
      nodes: [{ name: 'product', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['y'], attrs: {} }],
      inputs: [{ name: 'x', dtype: 'float32', shape: ['n', K] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: ['n', N] }],
    },
  };
  const g = new GpuModel(ctx, model);
  try {
    const x = new Float32Array(M * K).fill(0.5);
    await g.run({ x }, M);
    const t0 = performance.now();
    await g.run({ x }, M);
    const seconds = Math.max(1e-3, (performance.now() - t0) / 1000);
    return (2 * M * K * N) / seconds;
  } finally {
    g.dispose();
  }
}
