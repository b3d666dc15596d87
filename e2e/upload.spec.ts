import { expect, test } from '@playwright/test';
import { fixturePath, imagesZip, openFixtureModel, quantizeButton } from './fixtures.ts';

test('uploading a fixture model with a zip of calibration images and a labelled folder, then quantizing', async ({ page }) => {
  await openFixtureModel(page);
  await expect(page.getByTestId('model-architecture')).toHaveText('vit');
  await expect(quantizeButton(page)).toBeDisabled();

  await page.getByLabel('Choose calibration images').setInputFiles(imagesZip());
  await expect(page.getByTestId('calibration-status')).toHaveText(/6 images in pictures\.zip/);
  await page.getByLabel('Choose an evaluation folder').setInputFiles(fixturePath('labelled'));
  await expect(page.getByTestId('evaluation-status')).toHaveText(/6 images \(3 real, 3 fake\)/);

  await expect(quantizeButton(page)).toHaveText('Quantize with 6 images');
  await page.getByLabel('Average weight bits').fill('6');
  await page.getByLabel('Rounding iterations').fill('20');
  await page.getByLabel('Solver').selectOption('exact');
  await quantizeButton(page).click();
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeEnabled();

  const report = page.getByTestId('quantize-report');
  await expect(report).toBeVisible({ timeout: 170_000 });
  await expect(report).toContainText('Bits per weight');
  await expect(report).toContainText('AUC, FP32 → quantized');
  await expect(page.getByTestId('stage-reconstruct')).toHaveText(/^done in /);
  await expect(page.getByTestId('run-adapter')).toContainText('swiftshader');
  await page.screenshot({ path: 'e2e/screenshots/upload.png', fullPage: true });
});

test('calibration files that hold no image say so and keep the run disabled', async ({ page }) => {
  await openFixtureModel(page);
  await page.getByLabel('Choose calibration images').setInputFiles({ name: 'notes.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip at all') });
  await expect(page.getByTestId('calibration-status')).toContainText('notes.zip is not a readable zip archive');
  await page.getByLabel('Choose an evaluation folder').setInputFiles(fixturePath('images'));
  await expect(page.getByTestId('evaluation-status')).toContainText('needs images in both real/ and fake/ folders');
  await expect(quantizeButton(page)).toBeDisabled();
});
