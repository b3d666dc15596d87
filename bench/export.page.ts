// The browser half of bench/export.ts: runs the exported files it left in .bench-export/ in
// onnxruntime-web (wasm build and native WebGPU EP) and reports one console line with the results.
import { ortWeb, WEB_RUNTIMES } from '../src/export/ort-web.ts';
import { verifyExport, type Verification } from '../src/export/verify.ts';

interface Meta { formats: string[]; dims: [number, number, number]; count: number; simulated: number[][]; isFake: boolean[] }

async function main(): Promise<void> {
  const meta = (await (await fetch('/.bench-export/meta.json')).json()) as Meta;
  const pixels = new Float32Array(await (await fetch('/.bench-export/pixels.f32')).arrayBuffer());
  const results: { format: string; bytes: number; v: Verification }[] = [];
  for (const format of meta.formats) {
    const bytes = new Uint8Array(await (await fetch(`/.bench-export/model_${format}.onnx`)).arrayBuffer());
    for (const { ep, runtime } of WEB_RUNTIMES) {
      const v = await verifyExport(await ortWeb(ep), `${runtime} (Chromium)`, ep, bytes, {
        batches: [{ pixels, count: meta.count }], dims: meta.dims, simulated: meta.simulated, isFake: meta.isFake,
      });
      results.push({ format, bytes: bytes.length, v });
    }
  }
  console.log(`bench:result ${JSON.stringify(results)}`);
}

main().catch((e: unknown) => console.log(`bench:failed ${e instanceof Error ? e.message : String(e)}`));
