/** bench:export's browser half: serves the work tree with Vite and runs bench/export.html in headless Chromium. */
import { chromium } from 'playwright';
import { chromiumLaunchOptions } from '../chromium.ts';
import { startBenchServer } from './page-runner.ts';
import type { Verification } from '../src/export/verify.ts';

/** `run` names the folder under .bench-export/ the page reads. */
export async function runInChromium(run: string): Promise<{ key: string; bytes: number; v: Verification }[]> {
  const { server, port } = await startBenchServer();
  const browser = await chromium.launch(chromiumLaunchOptions);
  try {
    const page = await browser.newPage();
    const done = new Promise<{ key: string; bytes: number; v: Verification }[]>((resolve, reject) => {
      page.on('console', (msg) => {
        const text = msg.text();
        if (text.startsWith('bench:result ')) resolve(JSON.parse(text.slice('bench:result '.length)));
        else if (text.startsWith('bench:failed')) reject(new Error(text));
        else if (text.startsWith('bench:')) console.log(text.slice('bench:'.length).trim());
      });
      page.on('pageerror', (e) => reject(e));
    });
    await page.goto(`http://localhost:${port}/bench/export.html?run=${encodeURIComponent(run)}`);
    return await done;
  } finally {
    await browser.close();
    await server.close();
  }
}
