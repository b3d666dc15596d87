/**
 * What onnxruntime-web's native WebGPU EP does with MatMulNBits' accuracy_level 4 on this adapter:
 * one 4-bit MatMulNBits (block 32) at accuracy_level 0 and 4, against the float product of the
 * dequantized weights and against the same product with A quantized as onnxruntime's DP4A path
 * does it (per row, blocks of 128 values in its source, here also 32 and 64; symmetric int8,
 * scale max|a|/127, pack4x8snorm's rounding). Shapes with K a multiple of 128 and N of 16 (where that path applies) and one without.
 * Run: npm run bench -- accuracy-level
 */
import * as ort from 'onnxruntime-web/webgpu';
import asyncifyBinary from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { encodeModel } from '../src/onnx/encode.ts';
import type { Model } from '../src/onnx/ir.ts';
import { packBits } from '../src/storage/packing.ts';

const BLOCK = 32;

function nbitsModel(M: number, K: number, N: number, codes: Uint8Array, scales: Float32Array, level: number): Uint8Array {
  const kBlocks = K / BLOCK;
  const B = new Uint8Array(N * kBlocks * (BLOCK / 2));
  for (let n = 0; n < N; n++) B.set(packBits(codes.subarray(n * K, (n + 1) * K), 4), n * kBlocks * (BLOCK / 2));
  const model: Model = {
    irVersion: 10, opsets: [{ domain: '', version: 21 }, { domain: 'com.microsoft', version: 1 }], producerName: 'bench', producerVersion: '0', metadata: {},
    graph: {
      name: 'nbits',
      nodes: [{ name: 'mm', opType: 'MatMulNBits', domain: 'com.microsoft', inputs: ['A', 'B', 'scales'], outputs: ['Y'], attrs: {
        K: { type: 'int', value: K }, N: { type: 'int', value: N }, bits: { type: 'int', value: 4 }, block_size: { type: 'int', value: BLOCK }, accuracy_level: { type: 'int', value: level },
      } }],
      initializers: new Map([
        ['B', { name: 'B', dtype: 'uint8', dims: [N, kBlocks, BLOCK / 2], data: B }],
        ['scales', { name: 'scales', dtype: 'float32', dims: [N * kBlocks], data: scales }],
      ]),
      inputs: [{ name: 'A', dtype: 'float32', shape: [M, K] }],
      outputs: [{ name: 'Y', dtype: 'float32', shape: [M, N] }],
      valueInfo: new Map(),
    },
  };
  return encodeModel(model);
}

/** A as the DP4A path sees it: per row, blocks of `size`, q = floor(0.5 + 127 a / max|a|) clamped, a' = q max|a| / 127. */
function int8Blocks(a: Float32Array, M: number, K: number, size: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let m = 0; m < M; m++) {
    for (let b = 0; b < K; b += size) {
      let max = 0;
      for (let k = b; k < Math.min(K, b + size); k++) max = Math.max(max, Math.abs(a[m * K + k]));
      const scale = Math.fround(max / 127);
      for (let k = b; k < Math.min(K, b + size); k++) {
        const q = Math.floor(0.5 + 127 * Math.max(-1, Math.min(1, Math.fround(a[m * K + k] / max))));
        out[m * K + k] = q * scale;
      }
    }
  }
  return out;
}

function product(a: ArrayLike<number>, w: Float64Array, M: number, K: number, N: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[m * K + k] * w[n * K + k];
    y[m * N + n] = s;
  }
  return y;
}

const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);

async function main(): Promise<void> {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = { wasm: asyncifyBinary };
  ort.env.logLevel = 'error';
  const adapter = await navigator.gpu.requestAdapter();
  console.log(`adapter: ${adapter?.info.vendor} ${adapter?.info.architecture}; subgroups ${adapter?.features.has('subgroups')}; onnxruntime-web ${ort.env.versions.web}`);
  console.log('M x K x N      level  max|Y - float|  max|Y - int8 A model|  verdict (int8 models: blocks of 32, 64, 128; the closest)');
  for (const [M, K, N] of [[8, 256, 32], [65, 384, 96], [8, 96, 32]]) {
    const codes = Uint8Array.from({ length: N * K }, (_, i) => (i * 7 + (i >> 5)) % 16);
    const scales = Float32Array.from({ length: N * (K / BLOCK) }, (_, i) => 0.01 + (i % 5) * 0.003);
    const w = Float64Array.from(codes, (c, i) => Math.fround(scales[Math.floor(i / BLOCK)] * (c - 8))); // no zero points: 8
    const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.37) * 1.7);
    const float = product(a, w, M, K, N);
    const int8 = [32, 64, 128].map((size) => ({ size, y: product(int8Blocks(a, M, K, size), w, M, K, N) }));
    for (const level of [0, 4]) {
      const session = await ort.InferenceSession.create(nbitsModel(M, K, N, codes, scales, level), { executionProviders: ['webgpu'] });
      const y = (await session.run({ A: new ort.Tensor('float32', a, [M, K]) })).Y.data as Float32Array;
      await session.release();
      const dF = maxDiff(y, float);
      const q = int8.map(({ size, y: want }) => ({ size, d: maxDiff(y, want) })).sort((p, r) => p.d - r.d)[0];
      const verdict = q.d < dF / 10 ? `activations quantized to int8 in blocks of ${q.size}` : dF < q.d / 10 ? 'float activations' : 'neither model';
      console.log(`${`${M}x${K}x${N}`.padEnd(14)} ${String(level).padStart(5)}  ${dF.toExponential(2).padStart(14)}  ${q.d.toExponential(2).padStart(21)}  ${verdict}`);
    }
  }
}

main().then(() => console.log('bench:done'), (e: unknown) => console.log(`bench:failed ${e instanceof Error ? e.message : String(e)}`));
