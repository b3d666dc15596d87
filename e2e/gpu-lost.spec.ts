import { expect, test } from '@playwright/test';
import { fixture, imageNames, openFixtureModel, quantizeButton } from './fixtures.ts';

test('a GPU device lost mid-run shows a clear message, keeps the finished stages and their result, and the next run works', async ({ page }) => {
  await openFixtureModel(page);
  await page.getByLabel('Choose calibration images').setInputFiles(imageNames.map((n) => fixture(`images/${n}`)));
  await expect(page.getByTestId('calibration-status')).toHaveText(/6 images/);
  await page.getByLabel('Rounding iterations').fill('5000');
  await quantizeButton(page).click();
  await expect(page.getByTestId('stage-reconstruct')).toHaveText(/^\d+\/10/, { timeout: 120_000 });

  // Lose the device the way a driver reset would: destroy it from inside the studio worker.
  const worker = page.workers().find((w) => w.url().includes('studio.worker'))!;
  await worker.evaluate(() => {
    const proto = GPUDevice.prototype as GPUDevice & { __create?: GPUDevice['createCommandEncoder'] };
    proto.__create = proto.createCommandEncoder;
    proto.createCommandEncoder = function (this: GPUDevice, d?: GPUCommandEncoderDescriptor) {
      GPUDevice.prototype.createCommandEncoder = proto.__create!;
      this.destroy();
      return proto.__create!.call(this, d);
    };
  });
  const error = page.getByTestId('quantize-error');
  await expect(error).toBeVisible({ timeout: 120_000 });
  await expect(error).toContainText('The GPU device was lost');
  await expect(error).toContainText('run again');
  await expect(error).toContainText('failed in its reconstruct stage');
  // The widths chosen before the loss are the partial result, shown like a cancelled run's.
  await expect(page.getByTestId('quantize-report')).toBeVisible();
  await expect(page.getByTestId('results-bits')).toBeVisible();
  await expect(page.getByTestId('stage-allocate')).toHaveText(/^done in/);
  await expect(page.getByTestId('stage-reconstruct')).toHaveText(/^stopped at \d+\/10/);
  await expect(page.getByTestId('stage-evaluate')).toHaveText('not reached');
  await page.screenshot({ path: 'e2e/screenshots/gpu-lost.png', fullPage: true });

  await page.getByLabel('Method').selectOption('rtn');
  await quantizeButton(page).click();
  await expect(page.getByTestId('quantize-report')).toBeVisible({ timeout: 120_000 });
});
