import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

const fixture = (name: string) => readFileSync(new URL(`../tools/fixtures/${name}`, import.meta.url));

test('opening a fixture model shows its layers, and a broken file its error', async ({ page }) => {
  await page.goto('/');
  const input = page.getByLabel(/Drop an ONNX classifier/);

  await input.setInputFiles({ name: 'swin_tiny_op13.onnx', mimeType: 'application/octet-stream', buffer: fixture('swin_tiny_op13.onnx') });
  const summary = page.getByTestId('model-summary');
  await expect(summary).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('model-architecture')).toHaveText('swin');
  await expect(page.getByTestId('layer-table').locator('tbody tr')).toHaveCount(19);
  await expect(summary).toContainText('layers.0.blocks.1.attn.qkv');
  await page.screenshot({ path: 'e2e/screenshots/model-summary.png', fullPage: true });

  const truncated = fixture('vit_tiny_op17.onnx').subarray(0, 5000);
  await input.setInputFiles({ name: 'truncated.onnx', mimeType: 'application/octet-stream', buffer: truncated });
  const error = page.getByTestId('model-error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toContainText('truncated.onnx');
  await expect(error).toContainText('swin_tiny_op13.onnx, is still loaded');
  await expect(page.getByTestId('model-architecture')).toHaveText('swin');
  await page.screenshot({ path: 'e2e/screenshots/model-error.png', fullPage: true });
});
