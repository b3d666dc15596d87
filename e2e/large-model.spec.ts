import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { encodeModel } from '../src/onnx/encode.ts';
import { WireReader, WireWriter } from '../src/onnx/wire.ts';
import { fixture, imageNames, openFixtureModel } from './fixtures.ts';

/**
 * A model whose one weight (72,000 x 4,096 float32, 1.1 GiB) lies in an external data file: the
 * file is sparse, so it costs no disk and no time to make, and the studio must refuse the model
 * from its structure alone, before reading any of those bytes.
 */
function hugeModel(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'defakeq-huge-'));
  const [K, N] = [72_000, 4096];
  const base = encodeModel({
    irVersion: 8, opsets: [{ domain: '', version: 17 }], producerName: 'e2e', producerVersion: '1', metadata: {},
    graph: {
      name: 'huge', initializers: new Map(), valueInfo: new Map(),
      nodes: [{ name: 'product', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['y'], attrs: {} }],
      inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', K] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', N] }],
    },
  });
  const entry = (k: string, v: string) => new WireWriter().string(1, k).string(2, v);
  const tensor = new WireWriter().packedInts(1, [K, N]).int(2, 1).string(8, 'w')
    .message(13, entry('location', 'huge.onnx_data')).message(13, entry('offset', '0')).message(13, entry('length', String(K * N * 4))).int(14, 1);
  // The same model with the initializer appended to its graph (a decoder takes the last graph field).
  const out = new WireWriter();
  const r = new WireReader(base);
  while (!r.done) {
    const start = r.pos;
    const { field, wireType } = r.readTag();
    if (field === 7) out.bytes(7, new Uint8Array([...r.readBytes(), ...new WireWriter().message(5, tensor).finish()]));
    else {
      r.skip(wireType);
      out.raw(base.subarray(start, r.pos));
    }
  }
  const model = out.finish();
  writeFileSync(join(dir, 'huge.onnx'), model);
  writeFileSync(join(dir, 'huge.onnx_data'), '');
  truncateSync(join(dir, 'huge.onnx_data'), K * N * 4);
  return [join(dir, 'huge.onnx'), join(dir, 'huge.onnx_data')];
}

test('a model too big for the adapter is refused before its weights are read, naming the limit', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible({ timeout: 60_000 });
  const started = Date.now();
  await page.getByLabel('Choose model files').setInputFiles(hugeModel());
  const error = page.getByTestId('model-error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toContainText('huge.onnx is too big for this GPU adapter: tensor "w" needs 1125 MiB in one buffer, but the adapter\'s maxStorageBufferBindingSize is 1024 MiB');
  // Reading 1.1 GiB would take far longer than refusing from the structure does.
  expect(Date.now() - started).toBeLessThan(30_000);
});

test('the worker reports its memory: the open model\'s weights stay on the GPU between runs', async ({ page }) => {
  await openFixtureModel(page);
  const memory = page.getByTestId('memory-use');
  await expect(memory).toBeVisible();
  await expect(page.getByTestId('memory-gpu-weights')).toHaveText('0 KiB');
  await page.getByLabel('Choose images to classify').setInputFiles(imageNames.slice(0, 2).map((n) => fixture(`images/${n}`)));
  await expect(page.getByTestId('predictions')).toBeVisible({ timeout: 120_000 });
  // The fixture's weights are now on the GPU, and stay there for the next run.
  await expect(page.getByTestId('memory-gpu-weights')).toHaveText(/^[1-9]\d* KiB$/, { timeout: 10_000 });
});
