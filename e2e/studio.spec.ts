import { expect, test } from '@playwright/test';
import { watchForeignRequests } from './privacy.ts';

test('the studio opens and shows the WebGPU adapter it got', async ({ page, baseURL }) => {
  const foreign = watchForeignRequests(page, new URL(baseURL!).origin);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'DeFakeQ Studio' })).toBeVisible();
  const adapter = page.getByTestId('gpu-adapter');
  await expect(adapter).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('gpu-vendor')).not.toHaveText('');
  await expect(adapter).toContainText('timestamp-query');
  await expect(adapter).toContainText('Largest storage binding');
  await page.screenshot({ path: 'e2e/screenshots/adapter.png', fullPage: true });

  expect(errors).toEqual([]);
  expect(foreign).toEqual([]);
});
