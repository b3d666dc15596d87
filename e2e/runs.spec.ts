import { expect, test, type Page } from '@playwright/test';
import { fixturePath, imagesZip, openFixtureModel, quantizeButton } from './fixtures.ts';

async function quantizeRtn(page: Page, bits: string) {
  await page.getByLabel('Average weight bits').fill(bits);
  await quantizeButton(page).click();
  await expect(page.getByRole('button', { name: 'Quantizing…' })).toBeVisible();
  await expect(page.getByTestId('quantize-report')).toBeVisible({ timeout: 120_000 });
}

/**
 * Rewrites this origin's IndexedDB the way the studio stored projects before runs were kept:
 * database version 1 with the project record alone. Runs away from the studio's page, so no
 * connection of the app holds the database open.
 */
async function downgradeToVersionOne(page: Page): Promise<number> {
  await page.goto('/demo/manifest.json');
  return page.evaluate(async () => {
    const request = <T,>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
    const current = await request(indexedDB.open('defakeq-studio'));
    const record = await request(current.transaction('project').objectStore('project').get('current'));
    current.close();
    // The stored files die with the database: copy them into memory first.
    const copy = async (files: { name: string; file: Blob }[]) => Promise.all(files.map(async (f) => ({ name: f.name, file: new File([await f.file.arrayBuffer()], f.name) })));
    const { sweep: _sweep, currentRun: _run, ...older } = { ...record, model: await copy(record.model), calibration: await copy(record.calibration), evaluation: await copy(record.evaluation) };
    await request(indexedDB.deleteDatabase('defakeq-studio'));
    const open = indexedDB.open('defakeq-studio', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('project');
    const v1 = await request(open);
    await request(v1.transaction('project', 'readwrite').objectStore('project').put(older, 'current'));
    v1.close();
    return older.report.avgBits as number;
  });
}

test('runs are kept, compared, reopened and deleted; they and the sweep survive reloads; a version-1 project still reopens', async ({ page }) => {
  await openFixtureModel(page);
  await page.getByLabel('Choose calibration images').setInputFiles(imagesZip());
  await page.getByLabel('Choose an evaluation folder').setInputFiles(fixturePath('labelled/'));
  await expect(page.getByTestId('evaluation-status')).toHaveText(/6 images \(3 real, 3 fake\)/);
  await page.getByLabel('Method').selectOption('rtn');
  await quantizeRtn(page, '8');
  await quantizeRtn(page, '4');

  const runs = page.locator('section.runs');
  const rows = runs.getByTestId('run-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('Run 1: RTN (uniform) W8A8');
  await expect(rows.nth(1)).toContainText('Run 2: RTN (uniform) W4A8 (current)');
  // The two latest runs are compared: every layer went from 8 to 4 bits, and the file shrank.
  const compare = runs.getByTestId('run-compare');
  await expect(compare.getByTestId('compare-bits-summary')).toHaveText('10 of 10 layers have another width.');
  await expect(compare.getByTestId('compare-settings')).toContainText(/avgBits\s*84/);
  const bitsRow = compare.getByTestId('compare-metrics').getByRole('row', { name: /^Bits per weight/ });
  const [bitsA, bitsB] = [Number(await bitsRow.locator('td').nth(0).textContent()), Number(await bitsRow.locator('td').nth(1).textContent())];
  expect(bitsA).toBeGreaterThan(bitsB);
  await expect(compare.getByTestId('compare-metrics').getByRole('row', { name: /^Weights/ }).locator('td').nth(2)).toContainText('(better)');
  await expect(compare.getByTestId('compare-bits-chart').locator('canvas')).toBeVisible();
  await runs.screenshot({ path: 'e2e/screenshots/runs-compare.png' });

  // A sweep of RTN at one budget: its result is kept with the project.
  const results = page.locator('section.results');
  await results.getByRole('tab', { name: 'Size vs accuracy' }).click();
  for (const m of ['AdaRound (uniform)', 'DeFakeQ (mixed)']) await results.getByLabel(m).uncheck();
  await results.getByLabel('Budgets (bits per weight)').fill('4');
  await results.getByRole('button', { name: 'Run the sweep (1 runs)' }).click();
  await expect(results.getByTestId('comparison-table')).toBeVisible({ timeout: 120_000 });
  const sweepRow = await results.getByTestId('comparison-table').getByRole('row', { name: /^RTN/ }).textContent();

  await page.reload();
  await expect(page.getByTestId('project-state')).toHaveText(/reopened from your last visit/, { timeout: 60_000 });
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText('(current)');
  await results.getByRole('tab', { name: 'Size vs accuracy' }).click();
  await expect(results.getByTestId('comparison-table').getByRole('row', { name: /^RTN/ })).toHaveText(sweepRow!);

  // Reopening run 1 makes it the current result; deleting run 2 leaves one.
  await rows.nth(0).getByRole('button', { name: 'Open' }).click();
  await expect(rows.nth(0)).toContainText('(current)');
  await expect(page.getByTestId('quantize-report').locator('dd').first()).toHaveText(bitsA.toFixed(2));
  await runs.getByRole('button', { name: 'Delete Run 2' }).click();
  await expect(rows).toHaveCount(1);

  const savedBits = await downgradeToVersionOne(page);
  expect(savedBits.toFixed(2)).toBe(bitsA.toFixed(2));
  await page.goto('/');
  await expect(page.getByTestId('project-state')).toHaveText(/reopened from your last visit/, { timeout: 60_000 });
  await expect(page.getByTestId('quantize-report').locator('dd').first()).toHaveText(bitsA.toFixed(2));
  await expect(rows).toHaveCount(1);
  await expect(rows.nth(0)).toContainText('Run 1: RTN (uniform) W8A8 (current)');
  await expect(page.getByTestId('project-error')).toHaveCount(0);
});
