import { expect, test } from '@playwright/test';
import { fixture, fixturePath, imagesZip, quantizeButton } from './fixtures.ts';

const config = { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ id2label: { 0: 'FAKE', 1: 'REAL' } })) };

test('the fake class comes from config.json, scores the quantized model, can be chosen and survives a reload', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Choose model files').setInputFiles([fixture('vit_tiny_op17.onnx'), fixture('preprocessor_config.json'), config]);
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('model-labels')).toHaveText('0 = FAKE, 1 = REAL');
  const select = page.getByLabel('Fake class');
  await expect(select).toHaveValue('0');
  await expect(page.getByTestId('fake-class-source')).toHaveText('as config.json names it');

  await page.getByLabel('Choose calibration images').setInputFiles(imagesZip());
  await page.getByLabel('Choose an evaluation folder').setInputFiles(fixturePath('labelled/'));
  await expect(page.getByTestId('evaluation-status')).toHaveText(/6 images \(3 real, 3 fake\)/);
  await page.getByLabel('Method').selectOption('rtn');
  await page.getByLabel('Average weight bits').fill('8');
  await quantizeButton(page).click();
  await expect(page.getByTestId('quantize-report')).toContainText('(class 0 as fake)', { timeout: 120_000 });

  const table = page.getByTestId('predictions');
  await page.getByLabel('Choose images to classify').setInputFiles(fixture('images/a_gradient.png'));
  await expect(table.locator('tbody tr')).toHaveCount(1, { timeout: 60_000 });
  await expect(table.locator('thead')).toContainText('P(FAKE)');
  const probability = async () => Number(await table.locator('tbody td').nth(2).textContent());
  const pFake = await probability();

  await select.selectOption('1');
  await expect(page.getByTestId('fake-class-source')).toHaveText('chosen here');
  await expect(table.locator('thead')).toContainText('P(REAL)');
  // Two classes: the same logits now give the other class's probability.
  expect(Math.abs(pFake + (await probability()) - 1)).toBeLessThanOrEqual(0.0011);

  await page.reload();
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByLabel('Fake class')).toHaveValue('1');
  await expect(page.getByTestId('fake-class-source')).toHaveText('chosen here');
});
