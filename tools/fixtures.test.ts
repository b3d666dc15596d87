import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir, readManifest, readRef, runOrt } from './ort_session.ts';

const MAX_BYTES = 2 * 1024 * 1024;
const manifest = await readManifest();

describe('tools/fixtures', () => {
  it('covers every model family at opsets 13 and 17', () => {
    const names = new Set(manifest.fixtures.map((f) => `${f.model}_op${f.opset}`));
    for (const model of ['vit_tiny', 'vit_tiny_gelu_tanh', 'deit_tiny_distilled', 'hf_vit_tiny', 'swin_tiny']) {
      for (const opset of [13, 17]) expect(names, `${model} opset ${opset}`).toContain(`${model}_op${opset}`);
    }
  });

  for (const fixture of manifest.fixtures) {
    it(`${fixture.file} exists, is under 2 MB, and has torch and ort references per batch`, async () => {
      const info = await stat(join(fixturesDir, fixture.file));
      expect(info.size).toBeLessThan(MAX_BYTES);
      expect(info.size).toBe(fixture.bytes);
      const ref = await readRef(fixture.ref);
      const perImage = ref.input_shape.reduce((a, b) => a * b, 1);
      for (const batch of [1, 3]) {
        const key = String(batch);
        expect(ref.inputs[key]).toHaveLength(batch * perImage);
        expect(ref.torch[key]).toHaveLength(batch * fixture.numClasses);
        const ort = ref.ort?.[key];
        expect(ort, `ort output for batch ${batch}; run npx tsx tools/ort_reference.ts`).toHaveLength(batch * fixture.numClasses);
        ort!.forEach((v, i) => expect(Math.abs(v - ref.torch[key]![i]!)).toBeLessThan(1e-4));
      }
    });
  }

  it('lists images that exist', async () => {
    expect(manifest.images.length).toBeGreaterThan(0);
    for (const image of manifest.images) expect((await stat(join(fixturesDir, image))).size).toBeGreaterThan(0);
  });

  it('stored ort outputs are reproduced by onnxruntime-web now', async () => {
    const fixture = manifest.fixtures.find((f) => f.model === 'vit_tiny' && f.opset === 13)!;
    const model = new Uint8Array(await readFile(join(fixturesDir, fixture.file)));
    const ref = await readRef(fixture.ref);
    for (const batch of [1, 3]) {
      const logits = await runOrt(model, ref, batch);
      const stored = ref.ort![String(batch)]!;
      expect(logits.length).toBe(stored.length);
      // stored values carry 7 significant digits
      logits.forEach((v, i) => expect(Math.abs(v - stored[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    }
  });
});
