/**
 * WebGPU in Node through Dawn (the `webgpu` package). Needs the Vulkan loader (Debian: libvulkan1);
 * without a GPU, Chromium's SwiftShader Vulkan driver is used when it is installed.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGpuContext, WebGpuUnavailableError, type GpuContext } from '../src/gpu/device.ts';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Environment Dawn reads when it starts. VK_ICD_FILENAMES set by the user wins (point it at your
 * GPU's ICD); otherwise SwiftShader is chosen when present, because a failing system driver (e.g.
 * lavapipe without the features Dawn needs) prints warnings and yields no adapter.
 * XDG_RUNTIME_DIR: Dawn complains on stderr when it is unset or invalid.
 */
function prepareEnvironment(): void {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (!xdg || !existsSync(xdg)) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'dawn-xdg-'));
}

/**
 * Dawn toggles for the Node device. disable_workgroup_init: Dawn zero-fills every `var<workgroup>`
 * before a kernel runs (WGSL's guarantee); on SwiftShader compiling that fill for the matmul tiles
 * costs far more memory and time than the kernel itself, once per pipeline (docs/large-models.md).
 * Every kernel in shaders/ writes its workgroup arrays before reading them (node-gpu.test.ts keeps
 * that list reviewed), so the fill is redundant.
 */
export const DAWN_OPTIONS = ['enable-dawn-features=disable_workgroup_init'];

/** How long Dawn's polling waits between two looks at the device (ms). */
export const DAWN_POLL_MS = 1;

/**
 * Dawn's Node binding settles its promises (mapAsync, onSubmittedWorkDone) by polling the device
 * from a setImmediate callback that queues itself again while any promise is pending, so the main
 * thread spins for as long as the GPU works. On a software adapter that spin takes a core from
 * the GPU's own threads, and each turn leaves garbage behind, tens of MB/s of it
 * (docs/large-models.md). So in this process setImmediate runs its callback after a
 * DAWN_POLL_MS timer: a GPU wait ends at most that much later. Nothing else here uses setImmediate.
 */
function paceDawnPolling(): void {
  const Timeout = setTimeout(() => {}, 0).constructor;
  const clearImmediateNow = globalThis.clearImmediate;
  const paced = (callback: (...args: unknown[]) => void, ...args: unknown[]) => setTimeout(callback, DAWN_POLL_MS, ...args);
  Object.assign(globalThis, {
    setImmediate: paced,
    clearImmediate: (handle: unknown) => (handle instanceof Timeout ? clearTimeout(handle as NodeJS.Timeout) : clearImmediateNow(handle as NodeJS.Immediate)),
  });
}

let gpu: GPU | undefined;

/** The navigator.gpu equivalent for Node; pass it to createGpuContext(). */
export async function nodeGpu(): Promise<GPU> {
  if (gpu) return gpu;
  prepareEnvironment();
  let mod: { create(options: string[]): GPU; globals: object };
  try {
    mod = await import('webgpu');
  } catch (e) {
    throw new WebGpuUnavailableError(`the Dawn WebGPU binding (npm package "webgpu") could not be loaded: ${(e as Error).message.split('\n')[0]}. ` +
      'It needs the Vulkan loader (Debian/Ubuntu: apt-get install libvulkan1)');
  }
  Object.assign(globalThis, mod.globals);
  paceDawnPolling();
  gpu = mod.create(DAWN_OPTIONS);
  return gpu;
}

/** A device on the Node adapter; close() frees its buffers and the device. */
export async function openNodeGpu(): Promise<{ ctx: GpuContext; close(): void }> {
  const ctx = await createGpuContext(await nodeGpu());
  return {
    ctx,
    close() {
      ctx.buffers.destroyAll();
      ctx.device.destroy();
    },
  };
}
