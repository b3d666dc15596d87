// The browser half of bench/export.ts: runs the exported files it left in .bench-export/ in
// onnxruntime-web (wasm build and native WebGPU EP) and reports one console line with the results.
import { ortWeb, WEB_RUNTIMES } from '../src/export/ort-web.ts';
import { verifyExport, type Verification } from '../src/export/verify.ts';

interface Meta { formats: string[]; dims: [number, number, number]; count: number; simulated: number[][]; isFake: boolean[]; webgpuImages: number }

async function main(): Promise<void> {
  const meta = (await (await fetch('/.bench-export/meta.json')).json()) as Meta;
  const pixels = new Float32Array(await (await fetch('/.bench-export/pixels.f32')).arrayBuffer());
  const results: { format: string; bytes: number; v: Verification }[] = [];
  for (const format of meta.formats) {
    const bytes = new Uint8Array(await (await fetch(`/.bench-export/model_${format}.onnx`)).arrayBuffer());
    for (const { ep, runtime } of WEB_RUNTIMES) {
      // The native WebGPU EP on a software adapter takes seconds per image: it gets the first few.
      const n = ep === 'webgpu' ? Math.min(meta.webgpuImages, meta.count) : meta.count;
      const picked = Array.from({ length: n }, (_, i) => Math.floor((i * meta.count) / n)); // spread over both classes
      const per = pixels.length / meta.count;
      const subset = new Float32Array(n * per);
      picked.forEach((k, i) => subset.set(pixels.subarray(k * per, (k + 1) * per), i * per));
      const v = await verifyExport(await ortWeb(ep), `${runtime} (Chromium)`, ep, bytes, {
        batches: [{ pixels: subset, count: n }], dims: meta.dims,
        simulated: picked.map((k) => meta.simulated[k]), isFake: picked.map((k) => meta.isFake[k]),
      });
      results.push({ format, bytes: bytes.length, v });
    }
  }
  console.log(`bench:result ${JSON.stringify(results)}`);
}

main().catch((e: unknown) => console.log(`bench:failed ${e instanceof Error ? e.message : String(e)}`));
