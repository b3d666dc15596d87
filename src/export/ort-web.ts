import wasmBinary from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import asyncifyBinary from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { OrtModule } from './verify.ts';

/**
 * onnxruntime-web in the page or worker, with its wasm binaries served by our own origin (Vite
 * emits them as assets; nothing comes from a CDN). `wasm` is the reference CPU build; `webgpu` is
 * the native WebGPU EP build (the default entry would use the deprecated JSEP kernels).
 */
export type WebEp = 'wasm' | 'webgpu';

const loaded = new Map<WebEp, Promise<OrtModule>>();

export function ortWeb(ep: WebEp): Promise<OrtModule> {
  let mod = loaded.get(ep);
  if (!mod) {
    mod = (async () => {
      const ort = ep === 'wasm' ? await import('onnxruntime-web/wasm') : await import('onnxruntime-web/webgpu');
      ort.env.wasm.numThreads = 1; // no SharedArrayBuffer needed, so no cross-origin isolation
      ort.env.wasm.wasmPaths = { wasm: ep === 'wasm' ? wasmBinary : asyncifyBinary };
      return ort as unknown as OrtModule;
    })();
    mod.catch(() => loaded.delete(ep));
    loaded.set(ep, mod);
  }
  return mod;
}

export const WEB_RUNTIMES: { ep: WebEp; runtime: string }[] = [
  { ep: 'wasm', runtime: 'onnxruntime-web wasm' },
  { ep: 'webgpu', runtime: 'onnxruntime-web webgpu' },
];
