import { expect, test } from '@playwright/test';
import { chromiumLaunchOptions } from '../chromium.ts';

// The same Chromium, started without the flags that turn WebGPU on.
test.use({
  launchOptions: {
    ...chromiumLaunchOptions,
    args: [...chromiumLaunchOptions.args.filter((a) => !a.includes('webgpu')), '--disable-features=WebGPU,Vulkan', '--disable-gpu'],
  },
});

test('without WebGPU the studio says so and what to do', async ({ page }) => {
  await page.goto('/');
  const missing = page.getByTestId('gpu-missing');
  await expect(missing).toBeVisible({ timeout: 60_000 });
  await expect(missing).toContainText('--enable-unsafe-webgpu');
  await expect(page.getByRole('button', { name: 'Run the demo' })).toBeDisabled();
  await page.screenshot({ path: 'e2e/screenshots/no-webgpu.png', fullPage: true });
});
