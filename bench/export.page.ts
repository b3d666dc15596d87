// The browser half of bench/export.ts: runs the exported files it left in .bench-export/ in
// onnxruntime-web (wasm build and native WebGPU EP), each against the FP file there, and reports
// one console line with the results.
import { ortWeb, WEB_RUNTIMES } from '../src/export/ort-web.ts';
import { verifyExport, type Verification } from '../src/export/verify.ts';

interface Meta { files: { key: string; sim: string }[]; dims: [number, number, number]; count: number; simulated: Record<string, number[][]>; isFake: boolean[]; webgpuImages: number }

// Each bench process has its own folder (?run=PID), so two benches can run side by side.
const run = new URLSearchParams(location.search).get('run');
const base = run ? `/.bench-export/${run}` : '/.bench-export';
const fetchBytes = async (path: string) => new Uint8Array(await (await fetch(path)).arrayBuffer());

async function main(): Promise<void> {
  const meta = (await (await fetch(`${base}/meta.json`)).json()) as Meta;
  const pixels = new Float32Array((await fetchBytes(`${base}/pixels.f32`)).buffer);
  const fp = await fetchBytes(`${base}/fp.onnx`);
  const results: { key: string; bytes: number; v: Verification }[] = [];
  for (const file of meta.files) {
    const bytes = await fetchBytes(`${base}/${file.key}.onnx`);
    for (const { ep, runtime } of WEB_RUNTIMES) {
      // The native WebGPU EP on a software adapter takes seconds per image: it gets the first few.
      const n = ep === 'webgpu' ? Math.min(meta.webgpuImages, meta.count) : meta.count;
      const picked = Array.from({ length: n }, (_, i) => Math.floor((i * meta.count) / n)); // spread over both classes
      const per = pixels.length / meta.count;
      const subset = new Float32Array(n * per);
      picked.forEach((k, i) => subset.set(pixels.subarray(k * per, (k + 1) * per), i * per));
      const v = await verifyExport(await ortWeb(ep), `${runtime} (Chromium)`, ep, bytes, {
        batches: [{ pixels: subset, count: n }], dims: meta.dims,
        simulated: picked.map((k) => meta.simulated[file.sim][k]), isFake: picked.map((k) => meta.isFake[k]),
      }, { fp });
      console.log(`bench: ${file.key} on ${runtime}: ${v.ok ? `${v.msPerImage!.toFixed(1)} ms/image (FP ${v.fpMsPerImage?.toFixed(1)})` : v.error}`);
      results.push({ key: file.key, bytes: bytes.length, v });
    }
  }
  console.log(`bench:result ${JSON.stringify(results)}`);
}

main().catch((e: unknown) => console.log(`bench:failed ${e instanceof Error ? e.message : String(e)}`));
