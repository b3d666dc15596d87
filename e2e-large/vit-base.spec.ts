import { expect, test, type Page } from '@playwright/test';
import { fixture, imageNames } from '../e2e/fixtures.ts';
import { watchForeignRequests } from '../e2e/privacy.ts';
import { largeModel } from './models.ts';

/** The main thread's delay in answering (ms): a responsive page answers a task at once. */
async function mainThreadDelay(page: Page): Promise<number> {
  return page.evaluate(() => new Promise<number>((done) => {
    const t0 = performance.now();
    setTimeout(() => done(performance.now() - t0), 0);
  }));
}

test('the studio opens a ViT-B/16 from the drop zone, quantizes it with a few images and stays responsive', async ({ page, baseURL }) => {
  const { files } = largeModel('vit_base');
  const foreign = watchForeignRequests(page, new URL(baseURL!).origin);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible({ timeout: 60_000 });

  // The drop zone's picker: only the structure is read now, the weights when a run uses them.
  const opened = Date.now();
  await page.getByLabel('Choose model files').setInputFiles(files);
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 120_000 });
  const openSeconds = (Date.now() - opened) / 1000;
  await expect(page.getByTestId('model-architecture')).toHaveText('vit');
  await expect(page.getByTestId('model-summary')).toContainText('Parameters85,800,194');
  await expect(page.getByTestId('memory-gpu-weights')).toHaveText('0 KiB');

  await page.getByLabel('Choose calibration images').setInputFiles(imageNames.slice(0, 4).map((n) => fixture(`images/${n}`)));
  await expect(page.getByTestId('calibration-status')).toHaveText(/4 images/);
  await page.getByRole('button', { name: 'Quantize with 4 images' }).click();

  // A run this long on a software adapter is priced first, and the studio asks.
  const warning = page.getByTestId('long-run-warning');
  const cancel = page.getByRole('button', { name: 'Cancel' });
  await expect(warning.or(cancel)).toBeVisible({ timeout: 300_000 });
  if (await warning.isVisible()) {
    await expect(warning).toContainText(/This run will take about .* calibrate/);
    await warning.getByRole('button', { name: 'Start anyway' }).click();
  }
  await expect(cancel).toBeEnabled({ timeout: 60_000 });

  // While it runs: the weights are on the GPU once, and the page answers at once.
  await expect(page.getByTestId('memory-gpu-weights')).toHaveText(/^3\d\d MiB$/, { timeout: 600_000 });
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    delays.push(await mainThreadDelay(page));
    await page.waitForTimeout(2000);
  }
  expect(Math.max(...delays)).toBeLessThan(250);

  const report = page.getByTestId('quantize-report');
  await expect(report).toBeVisible({ timeout: 4 * 60 * 60_000 - 600_000 });
  await expect(report).toContainText('Bits per weight');
  for (const stage of ['calibrate', 'score', 'allocate', 'evaluate']) await expect(page.getByTestId(`stage-${stage}`)).toHaveText(/^done in /);
  await page.screenshot({ path: 'e2e/screenshots/vit-base.png', fullPage: true });
  console.log(`ViT-B/16: opened in ${openSeconds.toFixed(1)} s; main-thread delays ${delays.map((d) => d.toFixed(0)).join(', ')} ms`);
  expect(errors).toEqual([]);
  expect(foreign).toEqual([]);
});
