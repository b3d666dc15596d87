/**
 * Our tiled matmul vs onnxruntime-web's native WebGPU EP, on one device, in one run.
 * B is a constant weight (an initializer for onnxruntime), A and C stay on the GPU.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { createGpuContext } from '../src/gpu/device.ts';
import { CommandBatch } from '../src/gpu/encoder.ts';
import { readFloat32 } from '../src/gpu/readback.ts';
import { randomFloats } from '../src/gpu/testing.ts';
import { DEFAULT_TILES, recordMatmul, type MatmulShape, type MatmulTiles } from '../src/engine/kernels/matmul.ts';
import { relativeError } from '../src/engine/cpu/matmul.ts';
import { encodeModel } from '../src/onnx/encode.ts';
import type { Model } from '../src/onnx/ir.ts';
import { geometricMean, medianMs, pad } from './timing.ts';

const params = new URLSearchParams(location.search);
const batch = Number(params.get('batch') ?? 1);
const repeats = Number(params.get('repeats') ?? 3);
const warmup = Number(params.get('warmup') ?? 1);
const sizes = (params.get('sizes') ?? '192,768,3072').split(',').map(Number);
const tileParam = params.get('tiles')?.split(',').map(Number);
const tiles: MatmulTiles = tileParam ? { wgX: tileParam[0], wgY: tileParam[1], tileK: tileParam[2] } : DEFAULT_TILES;

function matmulModel(M: number, K: number, N: number, weight: Float32Array): Uint8Array {
  const model: Model = {
    irVersion: 8,
    opsets: [{ domain: '', version: 17 }],
    producerName: 'defakeq-bench',
    producerVersion: '0',
    metadata: {},
    graph: {
      name: 'matmul',
      nodes: [{ name: 'mm', opType: 'MatMul', domain: '', inputs: ['A', 'B'], outputs: ['C'], attrs: {} }],
      initializers: new Map([['B', { name: 'B', dtype: 'float32', dims: [K, N], data: weight }]]),
      inputs: [{ name: 'A', dtype: 'float32', shape: [M, K] }],
      outputs: [{ name: 'C', dtype: 'float32', shape: [M, N] }],
      valueInfo: new Map(),
    },
  };
  return encodeModel(model);
}

async function main() {
  const ctx = await createGpuContext();
  const { device } = ctx;
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';

  console.log(`adapter: ${ctx.summary.vendor} ${ctx.summary.architecture}; onnxruntime-web ${ort.env.versions.web}`);
  console.log(`batch ${batch}, warmup ${warmup}, median of ${repeats}; tiles ${JSON.stringify(tiles)}`);
  console.log(`${pad('M', 6)} ${pad('K', 6)} ${pad('N', 6)} ${pad('ours GFLOP/s', 13)} ${pad('ort GFLOP/s', 12)} ${pad('ratio', 7)} ${pad('max rel err', 12)}`);
  const ratios: number[] = [];
  for (const K of sizes) {
    for (const N of sizes) {
      const M = 197 * batch;
      const shape: MatmulShape = { M, K, N };
      const a = randomFloats(M * K, 11);
      const b = randomFloats(K * N, 12);
      const ga = ctx.buffers.upload(a);
      const gb = ctx.buffers.upload(b);
      const gc = ctx.buffers.acquire(M * N * 4);

      const session = await ort.InferenceSession.create(matmulModel(M, K, N, b), {
        executionProviders: [{ name: 'webgpu', device }],
        preferredOutputLocation: 'gpu-buffer',
        graphOptimizationLevel: 'all',
      });
      const input = ort.Tensor.fromGpuBuffer(ga, { dataType: 'float32', dims: [M, K] });

      const ours = async () => {
        const cmd = new CommandBatch(ctx);
        recordMatmul(ctx, cmd, ga, gb, gc, shape, null, tiles);
        cmd.submit();
        await device.queue.onSubmittedWorkDone();
      };
      let last: ort.Tensor | null = null;
      const theirs = async () => {
        last?.dispose();
        last = (await session.run({ A: input })).C;
        await device.queue.onSubmittedWorkDone();
      };

      await ours();
      await theirs();
      const oursOut = await readFloat32(ctx, gc, M * N);
      const theirOut = (await last!.getData()) as Float32Array;
      const err = relativeError(oursOut, theirOut);
      if (!(err < 1e-3)) throw new Error(`outputs disagree at ${M}x${K}x${N}: relative error ${err}`);

      const flop = 2 * M * K * N;
      const oursMs = await medianMs(ours, warmup, repeats);
      const theirMs = await medianMs(theirs, warmup, repeats);
      const oursG = flop / oursMs / 1e6;
      const theirG = flop / theirMs / 1e6;
      ratios.push(oursG / theirG);
      console.log(`${pad(M, 6)} ${pad(K, 6)} ${pad(N, 6)} ${pad(oursG.toFixed(3), 13)} ${pad(theirG.toFixed(3), 12)} ${pad((oursG / theirG).toFixed(2), 7)} ${pad(err.toExponential(1), 12)}`);

      (last as ort.Tensor | null)?.dispose();
      last = null;
      await session.release();
      for (const buf of [ga, gb, gc]) ctx.buffers.release(buf);
    }
  }
  console.log(`ratio ${geometricMean(ratios).toFixed(3)}`);
}

main().then(
  () => console.log('bench:done'),
  (e) => console.log(`bench:failed ${e instanceof Error ? e.message : String(e)}`),
);
