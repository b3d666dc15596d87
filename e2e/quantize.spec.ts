import { readdirSync, readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

const dir = new URL('../tools/fixtures/', import.meta.url);
const file = (path: string) => ({ name: path.split('/').pop()!, mimeType: 'application/octet-stream', buffer: readFileSync(new URL(path, dir)) });
const images = readdirSync(new URL('images/', dir)).sort().map((n) => file(`images/${n}`));

async function openModel(page: Page) {
  await page.goto('/');
  await page.getByLabel(/Drop an ONNX classifier/).setInputFiles([file('vit_tiny_op17.onnx'), file('preprocessor_config.json')]);
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('Calibration images').setInputFiles(images);
}

test('quantizing in the worker shows progress by stage and the bits per layer', async ({ page }) => {
  await openModel(page);
  await page.getByLabel('Rounding iterations').fill('20');
  await page.getByRole('button', { name: /Quantize with 6 images/ }).click();
  const report = page.getByTestId('quantize-report');
  await expect(report).toBeVisible({ timeout: 170_000 });
  await expect(report.locator('tbody tr')).toHaveCount(10);
  await expect(report).toContainText('bits per weight on average');
  await expect(page.getByLabel('reconstruct progress')).toHaveAttribute('value', '10');
  await page.screenshot({ path: 'e2e/screenshots/quantized.png', fullPage: true });
});

test('cancelling mid-run keeps the stages that finished', async ({ page }) => {
  await openModel(page);
  await page.getByLabel('Rounding iterations').fill('5000');
  await page.getByRole('button', { name: /Quantize with 6 images/ }).click();
  await expect(page.getByText(/^reconstruct/).locator('..').getByText(/\/10/)).toBeVisible({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  const report = page.getByTestId('quantize-report');
  await expect(report).toBeVisible({ timeout: 120_000 });
  await expect(report).toContainText('Cancelled; kept the stages that finished.');
  await page.screenshot({ path: 'e2e/screenshots/cancelled.png', fullPage: true });
});
