/**
 * Proves the engine's kernels run in Node: imports a kernel module (WGSL through `?raw`), runs a
 * small matmul on the Dawn adapter and prints its largest difference from the CPU reference as JSON.
 * Then it waits on a larger matmul and prints how many setImmediate callbacks (Dawn's polling,
 * node-gpu.ts) ran during that wait, and how long the wait took.
 * `node --import ./cli/register.mjs cli/smoke-matmul.ts`
 */
import { matmulReference } from '../src/engine/cpu/matmul.ts';
import { matmulOnGpu } from '../src/engine/kernels/matmul.ts';
import { randomFloats } from '../src/gpu/testing.ts';
import { openNodeGpu } from './node-gpu.ts';

const gpu = await openNodeGpu();
let maxError = 0;
const shapes = [{ M: 5, N: 8, K: 12 }, { M: 7, N: 3, K: 5 }];
for (const [i, shape] of shapes.entries()) {
  const a = randomFloats(shape.M * shape.K, 1 + i);
  const b = randomFloats(shape.K * shape.N, 10 + i);
  const got = await matmulOnGpu(gpu.ctx, a, b, shape);
  const want = matmulReference(a, b, shape);
  for (let j = 0; j < want.length; j++) maxError = Math.max(maxError, Math.abs(got[j]! - want[j]!));
}
const shape = { M: 192, N: 192, K: 192 };
let polls = 0;
const immediate = globalThis.setImmediate;
globalThis.setImmediate = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
  polls++;
  return immediate(callback, ...args);
}) as typeof setImmediate;
const started = performance.now();
await matmulOnGpu(gpu.ctx, randomFloats(shape.M * shape.K, 3), randomFloats(shape.K * shape.N, 4), shape);
const waitMs = performance.now() - started;
globalThis.setImmediate = immediate;
gpu.close();
process.stdout.write(JSON.stringify({ adapter: gpu.ctx.summary.description, shapes: shapes.length, maxError, polls, waitMs }) + '\n', () => process.exit(0));
