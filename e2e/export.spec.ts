import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { unzipSync } from 'fflate';
import { decodeModel } from '../src/onnx/decode.ts';
import { watchForeignRequests } from './privacy.ts';

const dir = new URL('../tools/fixtures/', import.meta.url);
const file = (path: string) => ({ name: path.split('/').pop()!, mimeType: 'application/octet-stream', buffer: readFileSync(new URL(path, dir)) });
const images = readdirSync(new URL('images/', dir)).sort().map((n) => file(`images/${n}`));

test('a quantized model exports, runs in onnxruntime-web wasm and WebGPU in the page, and downloads', async ({ page, baseURL }) => {
  test.setTimeout(480_000);
  const foreign = watchForeignRequests(page, new URL(baseURL!).origin);
  await page.goto('/');
  await page.getByLabel(/Drop an ONNX classifier/).setInputFiles([file('vit_tiny_op17.onnx'), file('preprocessor_config.json')]);
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('Calibration images').setInputFiles(images);
  await page.getByLabel('Rounding iterations').fill('10');
  await page.getByRole('button', { name: /Quantize with 6 images/ }).click();
  await expect(page.getByTestId('quantize-report')).toBeVisible({ timeout: 170_000 });

  await page.getByLabel('Verification images').setInputFiles(images);
  await page.getByRole('button', { name: 'Export and verify on 6 images' }).click();
  const report = page.getByTestId('export-report');
  await expect(report).toBeVisible({ timeout: 300_000 });
  const rows = page.getByTestId('export-verification').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('onnxruntime-web wasm');
  await expect(rows.nth(1)).toContainText('onnxruntime-web webgpu');
  for (const i of [0, 1]) await expect(rows.nth(i).locator('td').nth(1)).toHaveText('ran');
  // Every image agrees with the simulation, and the logits are close: the simulation quantizes
  // activations with WGSL's division (within 2.5 ulp), so a code can flip at a rounding boundary.
  for (const i of [0, 1]) {
    await expect(rows.nth(i).locator('td').nth(3)).toHaveText('100.0%');
    expect(Number(await rows.nth(i).locator('td').nth(2).textContent())).toBeLessThan(1e-2);
  }
  // Each runtime also ran the FP model's file: its time per image and the ratio; on WebGPU the
  // activation QuantizeLinear nodes of this (wasm-target, A8) file fell back to the CPU.
  for (const i of [0, 1]) {
    expect(Number(await rows.nth(i).locator('td').nth(6).textContent())).toBeGreaterThan(0);
    await expect(rows.nth(i).getByTestId('speed-ratio')).toHaveText(/^\d+\.\d\d×$/);
  }
  await expect(rows.nth(1).getByTestId('off-ep')).toHaveText(/^[1-9]\d* on CPU \(.*QuantizeLinear.*\) \(\d+\)$/);
  await page.screenshot({ path: 'e2e/screenshots/export.png', fullPage: true });

  const onnxDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download ONNX' }).click();
  const onnx = await onnxDownload;
  expect(onnx.suggestedFilename()).toMatch(/^vit_tiny_op17_.*\.onnx$/);
  const exported = decodeModel(new Uint8Array(readFileSync((await onnx.path())!)));
  expect(exported.graph.nodes.some((n) => n.opType === 'DequantizeLinear')).toBe(true);
  expect(JSON.parse(exported.metadata['defakeq.layers'])).toHaveLength(10);

  const zipDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download bundle (zip)' }).click();
  const entries = unzipSync(new Uint8Array(readFileSync((await (await zipDownload).path())!)));
  expect(Object.keys(entries).sort()).toEqual(['config.json', 'model.onnx', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'preprocessor_config.json', 'quant_report.json']);
  const quantReport = JSON.parse(new TextDecoder().decode(entries['quant_report.json']));
  expect(quantReport.verification).toHaveLength(2);

  expect(quantReport.verification[1].fpMsPerImage).toBeGreaterThan(0);

  // This run quantized activations: the webgpu and any targets say they refuse it, before any export.
  const exportRegion = page.getByRole('region', { name: 'Export' });
  for (const target of ['webgpu', 'any']) {
    await exportRegion.getByLabel('Runtime').selectOption(target);
    await expect(page.getByTestId('target-note')).toContainText(`the ${target} target keeps activations in float`);
    await expect(page.getByRole('button', { name: 'Export and verify on 6 images' })).toBeDisabled();
  }
  await exportRegion.getByLabel('Runtime').selectOption('wasm');
  await expect(page.getByRole('button', { name: 'Export and verify on 6 images' })).toBeEnabled();

  expect(foreign).toEqual([]);
});
