import { expect, test } from '@playwright/test';
import { fixture } from './fixtures.ts';

test('a broken model file shows its error, first alone and then beside a model that opened', async ({ page }) => {
  await page.goto('/');
  const truncated = { ...fixture('vit_tiny_op17.onnx'), name: 'truncated.onnx' };
  truncated.buffer = truncated.buffer.subarray(0, 5000);
  await page.getByLabel('Choose model files').setInputFiles(truncated);
  const error = page.getByTestId('model-error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toContainText('truncated.onnx could not be opened');
  await expect(page.getByRole('button', { name: 'Run the demo' })).toBeVisible();

  await page.getByLabel('Choose model files').setInputFiles(fixture('swin_tiny_op13.onnx'));
  const summary = page.getByTestId('model-summary');
  await expect(summary).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('model-architecture')).toHaveText('swin');
  await expect(page.getByTestId('layer-table').locator('tbody tr')).toHaveCount(19);
  await page.getByText('Quantizable layers (19)').click();
  await expect(summary).toContainText('layers.0.blocks.1.attn.qkv');
  await page.getByText(/^Operators \(\d+ kinds\)/).click();
  await expect(page.getByRole('table', { name: 'Operator histogram' })).toContainText('MatMul');
  await page.screenshot({ path: 'e2e/screenshots/model-summary.png', fullPage: true });

  await page.getByLabel('Open another model').setInputFiles(truncated);
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toContainText('truncated.onnx');
  await expect(error).toContainText('swin_tiny_op13.onnx, is still loaded');
  await expect(page.getByTestId('model-architecture')).toHaveText('swin');
  await error.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'e2e/screenshots/model-error.png', fullPage: true });
});
