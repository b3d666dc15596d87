import { expect, test } from '@playwright/test';
import { fixture, imageNames, openFixtureModel, quantizeButton } from './fixtures.ts';

test('cancelling mid-run keeps and shows the stages that finished', async ({ page }) => {
  await openFixtureModel(page);
  await page.getByLabel('Choose calibration images').setInputFiles(imageNames.map((n) => fixture(`images/${n}`)));
  await expect(page.getByTestId('calibration-status')).toHaveText(/6 images/);
  await page.getByLabel('Rounding iterations').fill('5000');
  await quantizeButton(page).click();
  await expect(page.getByTestId('stage-reconstruct')).toHaveText(/^\d+\/10/, { timeout: 120_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();

  const report = page.getByTestId('quantize-report');
  await expect(report).toBeVisible({ timeout: 120_000 });
  await expect(report).toContainText('Cancelled; kept the stages that finished (calibrate, score, allocate)');
  await expect(page.getByTestId('stage-allocate')).toHaveText(/^done in /);
  await expect(page.getByTestId('stage-reconstruct')).toHaveText(/^stopped at \d+\/10/);
  await expect(page.getByTestId('stage-evaluate')).toHaveText('not reached');
  await expect(quantizeButton(page)).toBeEnabled();
  await page.screenshot({ path: 'e2e/screenshots/cancelled.png', fullPage: true });
});
