import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

const dir = new URL('../tools/fixtures/', import.meta.url);
const file = (path: string) => ({ name: path.split('/').pop()!, mimeType: 'application/octet-stream', buffer: readFileSync(new URL(path, dir)) });

test('classifying images with an opened model, and an image that does not decode', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel(/Drop an ONNX classifier/).setInputFiles([file('vit_tiny_op17.onnx'), file('preprocessor_config.json')]);
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText('(preprocessor_config.json)')).toBeVisible();

  const images = readdirSync(new URL('images/', dir)).sort();
  await page.getByLabel('Choose images to classify').setInputFiles(images.map((n) => file(`images/${n}`)));
  const table = page.getByTestId('predictions');
  await expect(table).toBeVisible({ timeout: 120_000 });
  await expect(table.locator('tbody tr')).toHaveCount(images.length);
  await expect(table.locator('tbody tr').first()).toContainText(images[0]);
  await page.screenshot({ path: 'e2e/screenshots/predictions.png', fullPage: true });

  await page.getByLabel('Choose images to classify').setInputFiles([file('images/a_gradient.png'), file('images_odd/broken.jpg')]);
  const error = page.getByTestId('run-error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toContainText('broken.jpg');
  await page.screenshot({ path: 'e2e/screenshots/broken-image.png', fullPage: true });
});
