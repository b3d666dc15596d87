import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { fixture, fixturePath, imageNames, openFixtureModel, quantizeButton } from './fixtures.ts';
import { watchForeignRequests } from './privacy.ts';

test('the HTML report downloads, names the exported file by its hash, and opens offline with its charts', async ({ page, baseURL }) => {
  const foreign = watchForeignRequests(page, new URL(baseURL!).origin);
  await openFixtureModel(page);
  await page.getByLabel('Choose calibration images').setInputFiles(imageNames.map((n) => fixture(`images/${n}`)));
  await page.getByLabel('Choose an evaluation folder').setInputFiles(fixturePath('labelled/'));
  await expect(page.getByTestId('evaluation-status')).toHaveText(/6 images \(3 real, 3 fake\)/);
  await page.getByLabel('Method').selectOption('rtn');
  await page.getByLabel('Average weight bits').fill('8');
  await quantizeButton(page).click();
  await expect(page.getByTestId('quantize-report')).toBeVisible({ timeout: 120_000 });
  const auc = (await page.getByTestId('auc').textContent())!.match(/^([\d.]+) → ([\d.]+)/)!;

  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(page.getByTestId('export-report')).toBeVisible({ timeout: 60_000 });
  const onnx = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download ONNX' }).click();
  const onnxHash = createHash('sha256').update(readFileSync((await (await onnx).path())!)).digest('hex');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download report (HTML)' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^vit_tiny_op17_rtn_.*_report\.html$/);
  const html = readFileSync((await file.path())!, 'utf8');
  expect(html).toContain(`<code>${onnxHash}</code>`);
  expect(html).toContain(`<code>${createHash('sha256').update(readFileSync(fixturePath('vit_tiny_op17.onnx'))).digest('hex')}</code>`);
  expect(foreign).toEqual([]);

  // Offline: every request is refused and recorded; the page must need none.
  const offline = await page.context().newPage();
  const requests: string[] = [];
  offline.on('request', (r) => requests.push(r.url()));
  await offline.route('**/*', (route) => route.abort());
  await offline.setContent(html, { waitUntil: 'load' });
  await expect(offline.getByRole('heading', { name: 'DeFakeQ report: vit_tiny_op17.onnx' })).toBeVisible();
  const charts = offline.locator('svg.chart');
  await expect(charts).toHaveCount(2);
  for (const chart of await charts.all()) {
    const box = (await chart.boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    expect(box.height).toBeGreaterThan(200);
  }
  // Ten bars, each drawn with a height, labelled with its width.
  const bars = offline.getByRole('img', { name: 'Bits per layer for 10 layers' }).locator('rect.bar');
  await expect(bars).toHaveCount(10);
  for (const bar of await bars.all()) expect((await bar.boundingBox())!.height).toBeGreaterThan(10);
  // The headline AUCs are the studio's, to four places instead of three.
  const shown = (await offline.locator('#fig-auc').textContent())!.match(/^([\d.]+) → ([\d.]+)/)!;
  expect([Number(shown[1]).toFixed(3), Number(shown[2]).toFixed(3)]).toEqual([auc[1], auc[2]]);
  await expect(offline.locator('#evaluation')).toContainText('ROC-AUC');
  await expect(offline.locator('#hashes tbody tr')).toHaveCount(3);
  await offline.screenshot({ path: 'e2e/screenshots/report.png', fullPage: true });
  expect(requests).toEqual([]);
});
