import { expect, test } from '@playwright/test';
import { fixture, imageNames, openFixtureModel } from './fixtures.ts';

test('classifying images with an opened model, with edited preprocessing, and an image that does not decode', async ({ page }) => {
  await openFixtureModel(page);
  await expect(page.getByTestId('preprocess-source')).toContainText('From preprocessor_config.json');
  await expect(page.getByLabel('Image height')).toHaveValue('32');

  const classify = page.getByLabel('Choose images to classify');
  await classify.setInputFiles(imageNames.map((n) => fixture(`images/${n}`)));
  const table = page.getByTestId('predictions');
  await expect(table).toBeVisible({ timeout: 120_000 });
  await expect(table.locator('tbody tr')).toHaveCount(imageNames.length);
  await expect(table.locator('tbody tr').first()).toContainText(imageNames[0]);
  const before = await table.locator('tbody tr').first().locator('td').nth(2).textContent();
  await page.screenshot({ path: 'e2e/screenshots/predictions.png', fullPage: true });

  // The worker uses the edited normalisation: the same image then gets another probability.
  await page.getByLabel('mean R').fill('0.1');
  await page.getByLabel('std G').fill('0.2');
  await page.getByRole('button', { name: 'Apply preprocessing' }).click();
  await expect(page.getByTestId('preprocess-source')).toContainText('From your edits');
  await classify.setInputFiles(fixture(`images/${imageNames[0]}`));
  await expect(table.locator('tbody tr')).toHaveCount(1, { timeout: 60_000 });
  await expect(table.locator('tbody tr').first().locator('td').nth(2)).not.toHaveText(before!);

  await page.getByLabel('std B').fill('0');
  await page.getByRole('button', { name: 'Apply preprocessing' }).click();
  await expect(page.getByTestId('preprocess-error')).toContainText('every std must be above 0');

  await classify.setInputFiles([fixture('images/a_gradient.png'), fixture('images_odd/broken.jpg')]);
  const error = page.getByTestId('run-error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toContainText('broken.jpg');
  await page.screenshot({ path: 'e2e/screenshots/broken-image.png', fullPage: true });
});
