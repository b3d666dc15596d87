/**
 * Runs a browser benchmark page (bench/<name>.html) in headless Chromium with WebGPU and
 * relays its console to stdout. The page reports its end with console lines `bench:done` or
 * `bench:failed <reason>`.
 */
import { createServer } from 'vite';
import { chromium } from 'playwright';
import { chromiumLaunchOptions } from '../chromium.ts';

const name = process.argv[2] ?? 'matmul';
const query = process.argv.slice(3).join('&');
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000);

const server = await createServer({ server: { port: 0, host: '127.0.0.1' }, logLevel: 'error', clearScreen: false });
await server.listen();
const address = server.httpServer?.address();
const port = typeof address === 'object' && address ? address.port : 0;
const browser = await chromium.launch(chromiumLaunchOptions);
let exitCode: number;
try {
  const page = await browser.newPage();
  const finished = new Promise<number>((resolve) => {
    page.on('console', (msg) => {
      const text = msg.text();
      if (text === 'bench:done') resolve(0);
      else if (text.startsWith('bench:failed')) {
        console.error(text.slice('bench:failed'.length).trim());
        resolve(1);
      } else if (msg.type() === 'log' || msg.type() === 'info') console.log(text);
    });
    page.on('pageerror', (e) => {
      console.error(`bench: page error: ${e.message}`);
      resolve(1);
    });
  });
  await page.goto(`http://localhost:${port}/bench/${name}.html${query ? `?${query}` : ''}`);
  const timeout = new Promise<number>((resolve) => setTimeout(() => {
    console.error(`bench: ${name} did not finish within ${timeoutMs / 1000} s`);
    resolve(1);
  }, timeoutMs));
  exitCode = await Promise.race([finished, timeout]);
} finally {
  await browser.close();
  await server.close();
}
process.exit(exitCode);
