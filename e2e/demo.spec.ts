import { expect, test } from '@playwright/test';
import { watchForeignRequests } from './privacy.ts';

test.setTimeout(300_000);

test('the one-click demo runs the whole pipeline on the shipped detector, all from our own origin', async ({ page, baseURL }) => {
  const foreign = watchForeignRequests(page, new URL(baseURL!).origin);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto('/');
  const start = page.getByRole('button', { name: 'Run the demo' });
  await expect(start).toBeVisible();
  await page.screenshot({ path: 'e2e/screenshots/welcome.png', fullPage: true });
  // Keyboard first: the demo is the first thing Tab reaches on an empty studio.
  await page.keyboard.press('Tab');
  await expect(start).toBeFocused();
  await page.keyboard.press('Enter');

  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('model-labels')).toHaveText('0 = real, 1 = fake');
  await expect(page.getByTestId('calibration-status')).toHaveText(/32 images/);
  await expect(page.getByTestId('evaluation-status')).toHaveText(/32 images \(16 real, 16 fake\)/);
  await expect(page.getByTestId('stage-calibrate')).toHaveText(/\d+\/\d+|done/, { timeout: 60_000 });

  const report = page.getByTestId('quantize-report');
  await expect(report).toBeVisible({ timeout: 240_000 });
  for (const stage of ['calibrate', 'score', 'allocate', 'reconstruct', 'evaluate']) {
    await expect(page.getByTestId(`stage-${stage}`)).toHaveText(/^done in /);
  }
  // The trained detector separates the demo's real and fake faces, before and after quantization.
  const aucFigures = /^([\d.]+) → ([\d.]+) \(([+−])([\d.]+) ± ([\d.]+)/.exec((await page.getByTestId('auc').textContent())!);
  expect(aucFigures).not.toBeNull();
  const [fpAuc, quantizedAuc, change, changeError] = [aucFigures![1], aucFigures![2], aucFigures![4], aucFigures![5]].map(Number);
  const sign = aucFigures![3];
  expect(fpAuc).toBeGreaterThan(0.9);
  expect(quantizedAuc).toBeGreaterThan(0.8);
  // The change shown is the two AUCs' difference (to their rounding), with a paired error on 32 faces.
  expect(Math.abs((sign === '−' ? -change : change) - (quantizedAuc - fpAuc))).toBeLessThanOrEqual(0.0011);
  expect(changeError).toBeGreaterThanOrEqual(0);
  expect(changeError).toBeLessThan(0.2);
  await expect(page.getByTestId('project-state')).toHaveText(/Demo project/);
  await page.screenshot({ path: 'e2e/screenshots/demo.png', fullPage: true });

  // Where the detector looks, FP against quantized: rollout of the whole model, and its faithfulness.
  const results = page.locator('section.results');
  await results.getByRole('tab', { name: 'Attention maps' }).click();
  await expect(results.getByRole('img', { name: 'FP map of the whole model', exact: true })).toBeVisible({ timeout: 60_000 });
  // A fake whose artefact is local: mismatched eyes.
  await results.getByLabel('Image', { exact: true }).selectOption('eval/fake/01_eyes.png');
  await expect(results.getByRole('img', { name: 'eval/fake/01_eyes.png as the model saw it', exact: true })).toBeVisible({ timeout: 60_000 });
  await results.getByRole('button', { name: /Measure faithfulness/ }).click();
  await expect(results.getByTestId('faithfulness-table').locator('tbody tr')).toHaveCount(2, { timeout: 120_000 });
  for (const row of await results.getByTestId('faithfulness-table').locator('tbody tr').all()) {
    for (const cell of await row.locator('td').allTextContents()) expect(Number(cell)).toBeGreaterThanOrEqual(0);
  }
  await results.screenshot({ path: 'e2e/screenshots/demo-rollout.png' });

  // The whole DeFakeQ report (allocation included) is kept across a reload.
  const aucText = await page.getByTestId('auc').textContent();
  await page.reload();
  await expect(page.getByTestId('project-state')).toHaveText(/Demo project, reopened/, { timeout: 60_000 });
  await expect(page.getByTestId('auc')).toHaveText(aucText!);
  await expect(page.getByTestId('evaluation-status')).toHaveText(/16 real, 16 fake/);

  expect(errors).toEqual([]);
  expect(foreign).toEqual([]);
});
