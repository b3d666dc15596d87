// Adds onnxruntime-web (wasm backend, in Node) logits to every tools/fixtures/*.ref.json and checks
// them against the stored torch logits. Run after tools/make_fixtures.py:
//   npx tsx tools/ort_reference.ts
// The "ort" outputs are the references the engine tests compare against.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturesDir, readManifest, readRef, runOrt, type FixtureRef } from './ort_session.ts';

const TORCH_TOLERANCE = 1e-4;
const BATCHES = ['1', '3'] as const;

function toSignificant7(values: Float32Array): number[] {
  return Array.from(values, (v) => Number(v.toPrecision(7)));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

async function main(): Promise<void> {
  const manifest = await readManifest();
  const rows: string[] = [];
  let failed = false;
  for (const fixture of manifest.fixtures) {
    const model = new Uint8Array(await readFile(join(fixturesDir, fixture.file)));
    const ref: FixtureRef = await readRef(fixture.ref);
    ref.ort = {};
    for (const batch of BATCHES) {
      const logits = await runOrt(model, ref, Number(batch));
      ref.ort[batch] = toSignificant7(logits);
      const diff = maxAbsDiff(logits, ref.torch[batch]);
      const ok = diff < TORCH_TOLERANCE;
      failed ||= !ok;
      rows.push(`${fixture.file.padEnd(30)} batch ${batch}  max|ort-torch| ${diff.toExponential(2).padStart(9)}  ${ok ? 'ok' : 'FAIL'}`);
    }
    await writeFile(join(fixturesDir, fixture.ref), JSON.stringify(ref));
  }
  console.log(rows.join('\n'));
  if (failed) {
    console.error(`onnxruntime-web and torch differ by ${TORCH_TOLERANCE} or more on some fixture (see FAIL rows)`);
    process.exit(1);
  }
  console.log(`all ${manifest.fixtures.length} fixtures: onnxruntime-web matches torch within ${TORCH_TOLERANCE}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
