import { expect, test } from '@playwright/test';
import { imagesZip, openFixtureModel, quantizeButton } from './fixtures.ts';

test('a reload reopens the project: model, images, settings, edited preprocessing and the last report', async ({ page }) => {
  await openFixtureModel(page);
  await page.getByLabel('Choose calibration images').setInputFiles(imagesZip());
  await expect(page.getByTestId('calibration-status')).toHaveText(/6 images/);
  await page.getByLabel('Method').selectOption('rtn');
  await page.getByLabel('Average weight bits').fill('6');
  await page.getByLabel('Seed').fill('7');
  await page.getByLabel('mean G').fill('0.4');
  await page.getByRole('button', { name: 'Apply preprocessing' }).click();
  await expect(page.getByTestId('preprocess-source')).toContainText('From your edits');
  await quantizeButton(page).click();
  await expect(page.getByTestId('quantize-report')).toBeVisible({ timeout: 120_000 });
  const bits = await page.getByTestId('quantize-report').locator('dd').first().textContent();
  const results = page.locator('section.results');
  const layerSummary = async () => {
    await results.getByRole('tab', { name: 'Layer weights' }).click();
    await results.getByLabel('Layer', { exact: true }).selectOption('blocks.0.mlp.fc1');
    await expect(results.getByTestId('layer-lead')).toContainText('blocks.0.mlp.fc1:', { timeout: 60_000 });
    await expect(results.getByTestId('layer-histogram').locator('canvas')).toBeVisible();
    return results.getByTestId('rounding-summary').textContent();
  };
  const before = await layerSummary();

  await page.reload();
  await expect(page.getByTestId('project-state')).toHaveText(/reopened from your last visit/, { timeout: 60_000 });
  await expect(page.getByTestId('model-summary')).toBeVisible();
  await expect(page.getByTestId('model-architecture')).toHaveText('vit');
  await expect(page.getByTestId('calibration-status')).toHaveText(/6 images in pictures\.zip/);
  await expect(page.getByLabel('Method')).toHaveValue('rtn');
  await expect(page.getByLabel('Average weight bits')).toHaveValue('6');
  await expect(page.getByLabel('Seed')).toHaveValue('7');
  await expect(page.getByLabel('mean G')).toHaveValue('0.4');
  await expect(page.getByTestId('preprocess-source')).toContainText('From your edits');
  await expect(page.getByTestId('quantize-report').locator('dd').first()).toHaveText(bits!);
  await expect(page.getByTestId('stage-calibrate')).toHaveText(/^done in /);
  // The run itself came back from its saved codes: the layer view reads the rebuilt result.
  expect(await layerSummary()).toBe(before);
  await page.screenshot({ path: 'e2e/screenshots/reload.png', fullPage: true });

  // The files came back from IndexedDB whole: the worker quantizes with them again.
  await quantizeButton(page).click();
  await expect(page.getByRole('button', { name: 'Quantizing…' })).toBeVisible();
  await expect(page.getByTestId('quantize-report')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('quantize-error')).toHaveCount(0);

  await page.getByRole('button', { name: 'New project' }).click();
  await expect(page.getByRole('button', { name: 'Run the demo' })).toBeVisible({ timeout: 60_000 });
});
