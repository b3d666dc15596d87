import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { watchForeignRequests } from './privacy.ts';

const dir = new URL('../tools/fixtures/', import.meta.url);
const file = (path: string) => ({ name: path.split('/').pop()!, mimeType: 'application/octet-stream', buffer: readFileSync(new URL(path, dir)) });
const images = readdirSync(new URL('images/', dir)).sort().map((n) => file(`images/${n}`));
const labelled = fileURLToPath(new URL('labelled/', dir));

test('the results views show bits, a layer, attention maps and the size/accuracy sweep', async ({ page, baseURL }) => {
  test.setTimeout(420_000);
  const foreign = watchForeignRequests(page, new URL(baseURL!).origin);
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto('/');
  await page.getByLabel(/Drop an ONNX classifier/).setInputFiles([file('vit_tiny_op17.onnx'), file('preprocessor_config.json')]);
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('Calibration images').setInputFiles(images);
  // The project's labelled set (step 2) feeds the evaluation, the sweep and the attention maps.
  await page.getByLabel('Choose an evaluation folder').setInputFiles(labelled);
  await expect(page.getByTestId('evaluation-status')).toHaveText(/6 images \(3 real, 3 fake\)/);
  await page.getByLabel('Rounding iterations').fill('20');
  await page.getByRole('button', { name: /Quantize with 6 images/ }).click();
  await expect(page.getByTestId('quantize-report')).toBeVisible({ timeout: 170_000 });

  const results = page.locator('section.results');

  // Bits per layer: bars with their widths written on them, and a table for screen readers.
  await results.getByRole('tab', { name: 'Bits per layer' }).click();
  await expect(results.getByTestId('bits-chart').locator('canvas')).toBeVisible();
  await expect(results.getByRole('list', { name: 'Bar colours by bit width' })).toContainText('bits');
  // How the widths were chosen: the studio's default, the exact solver on logit errors.
  await expect(results.getByTestId('allocation-detail')).toContainText(/exact solver on each layer's measured change of the logits: optimal/);
  // And which block activations earned VEFT's float channels, measured on the same logits.
  await expect(results.getByTestId('veft-gate')).toContainText(/of 8 block activations' float channels/);
  const bars = results.getByTestId('bits-chart');
  const box = (await bars.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.36, box.y + box.height * 0.75);
  await expect(results.getByRole('img', { name: /Bits per layer for 10 layers/ })).toBeVisible();
  await results.screenshot({ path: 'e2e/screenshots/results-bits.png' });
  await results.getByText('The same as a table').click();
  await expect(results.getByTestId('results-bits').locator('tbody tr')).toHaveCount(10);
  await expect(results.getByTestId('results-bits').locator('tbody tr').first()).toContainText('patch_embed.proj');
  await expect(results.getByTestId('results-bits').locator('tbody tr').first()).toContainText(/min\/max|least squared error/);
  // Each learned layer's eq. 7 error as a fraction of nearest rounding's (the eighth column; VEFT's float channels may follow).
  await expect(results.getByTestId('results-bits').locator('tbody tr').first().locator('td').nth(7)).toHaveText(/^\d+\.\d{3}$/);

  // One layer's weights against its grid, and the rounding directions.
  await results.getByRole('tab', { name: 'Layer weights' }).click();
  await results.getByLabel('Layer', { exact: true }).selectOption('blocks.0.mlp.fc1');
  await expect(results.getByTestId('layer-lead')).toContainText('blocks.0.mlp.fc1:');
  await expect(results.getByTestId('layer-lead')).toContainText(/zero point, from the (range with the least squared error|channel's min\/max)\./);
  await expect(results.getByTestId('layer-histogram').locator('canvas')).toBeVisible();
  await expect(results.getByTestId('rounding-summary')).toContainText(/Learned rounding sent \d+ weights/);
  await results.screenshot({ path: 'e2e/screenshots/results-layer.png' });
  await results.getByLabel('Channel').selectOption({ label: 'channel 3, raw values' });
  await expect(results.getByText(/weights, 4,096 values in 128 channels/)).toBeVisible();
  await expect(results.getByRole('img', { name: /Histogram of blocks\.0\.mlp\.fc1/ })).toBeVisible();

  // The tabs follow the arrow keys, and only the selected one is in the tab order.
  await results.getByRole('tab', { name: 'Layer weights' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(results.getByRole('tab', { name: 'Attention maps' })).toBeFocused();
  await expect(results.getByRole('tab', { name: 'Attention maps' })).toHaveAttribute('aria-selected', 'true');
  await expect(results.getByRole('tab', { name: 'Layer weights' })).toHaveAttribute('tabindex', '-1');

  // Maps, FP vs quantized, for one of the project's images (the labelled ones first): rollout of the whole model first.
  await expect(results.getByRole('img', { name: 'FP map of the whole model', exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(results.getByTestId('map-agreement-chart').locator('canvas')).toBeVisible();
  const rho = Number(await results.getByTestId('map-spearman').textContent());
  expect(rho).toBeGreaterThanOrEqual(-1);
  expect(rho).toBeLessThanOrEqual(1);
  await expect(results.getByTestId('map-topk')).toHaveText(/^\d of 3$/);
  await results.screenshot({ path: 'e2e/screenshots/results-rollout.png' });
  // Gradient × attention: the backward pass runs in the worker for both models.
  await results.getByLabel('Map', { exact: true }).selectOption('gradient');
  await expect(results.getByTestId('map-lead')).toContainText('Gradient × attention through the whole model', { timeout: 60_000 });
  await expect(results.getByRole('img', { name: 'Quantized map of the whole model', exact: true })).toBeVisible();
  await expect(results.getByTestId('map-topk')).toHaveText(/^\d of 3$/);
  await results.screenshot({ path: 'e2e/screenshots/results-gradient.png' });
  // Raw attention of one block and head, as before.
  await results.getByLabel('Map', { exact: true }).selectOption('attention');
  await expect(results.getByRole('img', { name: 'FP map of the last block, blocks.1', exact: true })).toBeVisible({ timeout: 60_000 });
  await results.getByLabel('Block', { exact: true }).selectOption({ label: 'blocks.0' });
  await results.getByLabel('Head', { exact: true }).selectOption({ label: 'head 1' });
  await expect(results.getByRole('img', { name: 'Quantized map of blocks.0, head 1', exact: true })).toBeVisible();
  await results.screenshot({ path: 'e2e/screenshots/results-attention.png' });

  // The sweep: three methods at two budgets, a few iterations each.
  await results.getByRole('tab', { name: 'Attention maps' }).focus();
  await page.keyboard.press('End');
  await expect(results.getByRole('tab', { name: 'Size vs accuracy' })).toHaveAttribute('aria-selected', 'true');
  await results.getByLabel('Budgets (bits per weight)').fill('4, 6');
  await results.getByLabel('Iterations per layer').fill('5');
  await results.getByRole('button', { name: 'Run the sweep (6 runs)' }).click();
  await expect(results.getByTestId('comparison-table')).toBeVisible({ timeout: 300_000 });
  await expect(results.getByTestId('comparison-table').locator('tbody tr')).toHaveCount(4);
  // Each method's AUC carries its paired change from FP on the 6 labelled images.
  await expect(results.getByTestId('comparison-table').getByTestId('auc-change')).toHaveCount(3);
  await expect(results.getByTestId('comparison-table').getByTestId('auc-change').first()).toHaveText(/^ ?\([+−]\d\.\d{4} ± \d\.\d{4}/);
  // RTN and DeFakeQ are also compared with uniform AdaRound at the same budget, paired on the same images.
  const table = results.getByTestId('comparison-table');
  await expect(table.getByTestId('versus-adaround')).toHaveCount(2);
  const aucOf = async (row: string) => Number((await table.getByRole('row', { name: new RegExp(`^${row}`) }).locator('td').nth(4).textContent())!.match(/^\d\.\d+/)![0]);
  const versus = (await table.getByRole('row', { name: /^RTN/ }).getByTestId('versus-adaround').textContent())!.match(/([+−])(\d\.\d{4})/)!;
  const rtnMinusAdaRound = (versus[1] === '−' ? -1 : 1) * Number(versus[2]);
  expect(Math.abs(rtnMinusAdaRound - ((await aucOf('RTN')) - (await aucOf('AdaRound'))))).toBeLessThanOrEqual(0.0011);
  // A budget is the uniform model's size, so DeFakeQ's mixed widths store no more than uniform AdaRound.
  const kibOf = async (row: string) => Number((await table.getByRole('row', { name: new RegExp(`^${row}`) }).locator('td').nth(1).textContent())!.match(/^[\d.]+/)![0]);
  expect(await kibOf('DeFakeQ')).toBeLessThanOrEqual(await kibOf('AdaRound'));
  expect(await kibOf('RTN')).toBe(await kibOf('AdaRound'));
  await expect(results.getByTestId('pareto-chart').locator('canvas')).toBeVisible();
  await results.screenshot({ path: 'e2e/screenshots/results-pareto.png' });

  // A long sweep stops on request and keeps the runs that finished (RTN's are quick).
  await results.getByLabel('Iterations per layer').fill('5000');
  await results.getByRole('button', { name: 'Run the sweep (6 runs)' }).click();
  await expect(results.getByText(/^2\/6 runs done/)).toBeVisible({ timeout: 120_000 });
  await results.getByRole('button', { name: 'Stop the sweep' }).click();
  await expect(results.getByText('Cancelled: showing the 2 runs that finished.')).toBeVisible({ timeout: 120_000 });
  await expect(results.getByTestId('comparison-table')).toContainText('RTN (uniform)');
  expect(foreign).toEqual([]);
});

test('a Swin model shows its window maps on the image grid, FP vs quantized, per block and for the whole model', async ({ page }) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1200, height: 1000 });
  await page.goto('/');
  await page.getByLabel(/Drop an ONNX classifier/).setInputFiles([file('swin_tiny_op17.onnx'), file('preprocessor_config.json')]);
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('Calibration images').setInputFiles(images.slice(0, 2));
  await page.getByLabel('Method').selectOption('rtn');
  // The tiny fixture's 32-wide layers pay a lot for their scales: 4 bits per weight fits no uniform width in the file.
  await page.getByLabel('Average weight bits').fill('8');
  await page.getByRole('button', { name: /Quantize with 2 images/ }).click();
  await expect(page.getByTestId('quantize-report')).toBeVisible({ timeout: 170_000 });
  const results = page.locator('section.results');
  await results.getByRole('tab', { name: 'Attention maps' }).click();
  // Rollout across both stages on the 8×8 patch grid, read at the mean pooling.
  await expect(results.getByRole('img', { name: 'FP map of the whole model', exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(results.getByTestId('map-lead')).toContainText('of the 8×8 grid');
  await expect(results.getByLabel('Block', { exact: true }).locator('option')).toHaveText(['whole model', 'layers.0.blocks.0', 'layers.0.blocks.1', 'layers.1.blocks.0', 'layers.1.blocks.1']);
  await results.screenshot({ path: 'e2e/screenshots/results-swin-rollout.png' });
  // The shifted-window block's raw attention, its windows placed back on the grid.
  await results.getByLabel('Map', { exact: true }).selectOption('attention');
  await results.getByLabel('Block', { exact: true }).selectOption({ label: 'layers.0.blocks.1' });
  await expect(results.getByRole('img', { name: 'Quantized map of layers.0.blocks.1', exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(results.getByTestId('map-lead')).toContainText('shifted windows rolled back');
  const rho = Number(await results.getByTestId('map-spearman').textContent());
  expect(rho).toBeGreaterThan(0.5);
  await results.screenshot({ path: 'e2e/screenshots/results-swin-attention.png' });
  // Gradient × attention through both stages, back on the 8×8 grid.
  await results.getByLabel('Map', { exact: true }).selectOption('gradient');
  await results.getByLabel('Block', { exact: true }).selectOption({ label: 'whole model' });
  await expect(results.getByTestId('map-lead')).toContainText('Gradient × attention through the whole model', { timeout: 60_000 });
  await expect(results.getByTestId('map-lead')).toContainText('of the 8×8 grid');
  await expect(results.getByRole('img', { name: 'FP map of the whole model', exact: true })).toBeVisible();
  await results.screenshot({ path: 'e2e/screenshots/results-swin-gradient.png' });
});
