/**
 * Takes docs/images/studio.png, the README's picture of the studio: builds the app, serves it,
 * presses "Run the demo" in headless Chromium (WebGPU on SwiftShader), waits for the report and
 * captures the run's stages and the results, 1280 px wide. A few minutes on two cores.
 *
 *   node --import tsx tools/readme-screenshot.ts [--port 4399]
 */
import { mkdirSync } from 'node:fs';
import { build, preview } from 'vite';
import { chromium } from 'playwright';
import { chromiumLaunchOptions } from '../chromium.ts';

const portFlag = process.argv.indexOf('--port');
const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 4399;
const out = new URL('../docs/images/studio.png', import.meta.url);

await build({ logLevel: 'warn' });
const server = await preview({ preview: { port, strictPort: true, host: '127.0.0.1' }, logLevel: 'warn' });
const browser = await chromium.launch(chromiumLaunchOptions);
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.getByRole('button', { name: 'Run the demo' }).click();
  await page.getByTestId('quantize-report').waitFor({ timeout: 300_000 });
  // Let the charts finish their first draw.
  await page.waitForTimeout(1000);
  // From the stage list to the end of the results: the run and what it chose per layer.
  const stages = await page.getByTestId('stages').boundingBox();
  const results = await page.locator('section.results').boundingBox();
  if (!stages || !results) throw new Error('the stage list or the results are not on the page');
  const scrollY = await page.evaluate(() => window.scrollY);
  const top = Math.max(0, scrollY + stages.y - 12);
  const clip = { x: results.x - 8, y: top, width: results.width + 16, height: scrollY + results.y + results.height - top + 16 };
  mkdirSync(new URL('.', out), { recursive: true });
  await page.screenshot({ path: out.pathname, fullPage: true, clip });
  console.log(`wrote ${out.pathname}`);
} finally {
  await browser.close();
  await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
}
