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

test('VEFT draws its loss curve while it tunes, keeps it after a cancel, and the bits view counts its channels', async ({ page }) => {
  await openFixtureModel(page);
  await page.getByLabel('Choose calibration images').setInputFiles(imageNames.map((n) => fixture(`images/${n}`)));
  await expect(page.getByTestId('calibration-status')).toHaveText(/6 images/);
  // A budget that pays for the restored channels, little reconstruction, and more tuning than the test waits for.
  await page.getByLabel('Average weight bits').fill('8');
  await page.getByLabel('Rounding iterations').fill('2');
  await page.getByLabel('VEFT steps').fill('3000');
  // Every block activation keeps its channels: whether measured ones would is the fixture's business, not this test's.
  await page.getByLabel('VEFT activations').selectOption('every');
  await quantizeButton(page).click();

  const curve = page.getByTestId('veft-curve');
  await expect(curve).toHaveAttribute('data-live', 'true', { timeout: 120_000 });
  // The curve grows while the stage runs.
  const points = async () => Number(await curve.getAttribute('data-points'));
  const first = await points();
  expect(first).toBeGreaterThan(0);
  await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(first);
  await expect(curve).toHaveAttribute('data-live', 'true');
  const live = await points();
  await expect(curve).toContainText(/VEFT loss, \d+ recorded steps? over 1 block, live/);
  await expect(curve.getByRole('img', { name: /VEFT loss terms over \d+ recorded tuning steps/ })).toBeVisible();
  await expect(page.getByTestId('stage-veft')).toHaveText(/^\d+\/\d+, about \d+/);
  await page.screenshot({ path: 'e2e/screenshots/veft-live.png', fullPage: true });
  await page.getByRole('button', { name: 'Cancel' }).click();

  await expect(page.getByTestId('quantize-report')).toContainText('Cancelled', { timeout: 60_000 });
  await expect(page.getByTestId('stage-veft')).toHaveText(/^stopped at \d+\//);
  // After the run the curve is the report's, with every point drawn live.
  await expect(curve).toHaveAttribute('data-live', 'false');
  expect(Number(await curve.getAttribute('data-points'))).toBeGreaterThanOrEqual(live);

  const results = page.locator('section.results');
  await results.getByRole('tab', { name: 'Bits per layer' }).click();
  await expect(results.getByTestId('veft-detail')).toContainText(/VEFT kept [1-9]\d* input channels? in float/);
  await results.getByText('The same as a table').click();
  const fc1 = results.getByTestId('results-bits').locator('tbody tr', { hasText: 'blocks.0.mlp.fc1' });
  await expect(fc1.locator('td').last()).toHaveText(/^[1-9]\d*$/);
});
