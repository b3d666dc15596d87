/**
 * Runs a browser benchmark page (bench/<name>.html) in headless Chromium with WebGPU and relays
 * its console to stdout. The page reports its end with console lines `bench:done` or
 * `bench:failed <reason>`. `files` serves local files at given URL paths (e.g. a model outside the
 * work tree). The page can read the GPU process's CPU time (bench/cpu-clock.ts).
 */
import { createReadStream, statSync } from 'node:fs';
import type { Plugin, ViteDevServer } from 'vite';
import { createServer } from 'vite';
import { chromium } from 'playwright';
import { chromiumLaunchOptions } from '../chromium.ts';
import { cpuMs, ourGpuProcess } from './cpu-time.ts';

function serveFiles(files: Record<string, string>): Plugin {
  return {
    name: 'bench-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = files[(req.url ?? '').split('?')[0]];
        if (!path) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(path).size));
        createReadStream(path).pipe(res);
      });
    },
  };
}

/** Vite serving the work tree (and `files`) on a free localhost port. */
export async function startBenchServer(files: Record<string, string> = {}): Promise<{ server: ViteDevServer; port: number }> {
  const server = await createServer({ server: { port: 0, host: '127.0.0.1' }, logLevel: 'error', clearScreen: false, plugins: [serveFiles(files)] });
  await server.listen();
  const address = server.httpServer?.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

export async function runBenchPage(name: string, query: string, files: Record<string, string> = {}, timeoutMs = Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000)): Promise<number> {
  const { server, port } = await startBenchServer(files);
  const browser = await chromium.launch(chromiumLaunchOptions);
  try {
    const page = await browser.newPage();
    let gpu: number | null = null;
    await page.exposeFunction('benchGpuCpuMs', () => {
      gpu ??= ourGpuProcess();
      return gpu === null ? null : cpuMs(gpu);
    });
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
    return await Promise.race([finished, timeout]);
  } finally {
    await browser.close();
    await server.close();
  }
}
