import { createGpuContext, type GpuContext } from './device.ts';

let shared: Promise<GpuContext> | null = null;

/**
 * The device GPU tests run on. It throws, and so fails the test, when no adapter is
 * found: a GPU test that cannot reach WebGPU must never pass by skipping.
 */
export function gpuForTests(): Promise<GpuContext> {
  shared ??= createGpuContext();
  return shared;
}

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32). */
export function randomFloats(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
