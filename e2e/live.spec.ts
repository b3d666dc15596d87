import { expect, test, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../chromium.ts';
import { fixture, imageNames, openFixtureModel, quantizeButton } from './fixtures.ts';
import { watchForeignRequests } from './privacy.ts';
import { generatedVideo } from './video.ts';

// Chromium's fake camera (a synthetic test pattern), allowed without a prompt.
test.use({ launchOptions: { ...chromiumLaunchOptions, args: [...chromiumLaunchOptions.args, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] } });

async function figures(page: Page) {
  const number = async (id: string) => Number(await page.getByTestId(id).textContent());
  return { fpScore: await number('live-fp-score'), qScore: await number('live-q-score'), fpMs: await number('live-fp-ms'), qMs: await number('live-q-ms') };
}

async function expectRunning(page: Page) {
  await expect(page.getByTestId('live-frames')).toHaveText(/^([3-9]|\d{2,}) frames of \d+×\d+ in onnxruntime-web [\d.]+ wasm/, { timeout: 60_000 });
  const f = await figures(page);
  for (const score of [f.fpScore, f.qScore]) {
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
  }
  for (const ms of [f.fpMs, f.qMs]) expect(ms).toBeGreaterThan(0);
  return f;
}

test('the live check runs the FP and the quantized model on a generated video and on a camera', async ({ page, baseURL }) => {
  const foreign = watchForeignRequests(page, new URL(baseURL!).origin);
  await openFixtureModel(page);
  await page.getByLabel('Choose calibration images').setInputFiles(imageNames.map((n) => fixture(`images/${n}`)));
  await page.getByLabel('Method').selectOption('rtn');
  await page.getByLabel('Average weight bits').fill('8');
  await quantizeButton(page).click();
  await expect(page.getByTestId('quantize-report')).toBeVisible({ timeout: 120_000 });

  const panel = page.locator('section.live');
  await panel.getByLabel('Choose a video file').setInputFiles(await generatedVideo(page));
  await expect(panel.getByLabel('Video: generated.webm')).toBeVisible({ timeout: 60_000 });
  const fromFile = await expectRunning(page);
  await panel.screenshot({ path: 'e2e/screenshots/live-video.png' });
  await panel.getByRole('button', { name: 'Stop' }).click();
  await expect(panel.getByRole('button', { name: 'Use the camera' })).toBeEnabled();

  await panel.getByRole('button', { name: 'Use the camera' }).click();
  await expect(panel.getByLabel('Camera')).toBeVisible({ timeout: 60_000 });
  const fromCamera = await expectRunning(page);
  await expect(page.getByTestId('live-frames')).toContainText('640×480');
  await panel.getByRole('button', { name: 'Stop' }).click();
  console.log(`live check ms/frame: video FP ${fromFile.fpMs} vs quantized ${fromFile.qMs}; camera FP ${fromCamera.fpMs} vs quantized ${fromCamera.qMs}`);
  await expect(page.getByTestId('live-error')).toHaveCount(0);
  expect(foreign).toEqual([]);
});
