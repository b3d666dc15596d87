/** The HTML report from the command line: the environment it records, and the file it writes. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RunEnvironment } from '../src/export/report.ts';
import type { AdapterSummary } from '../src/gpu/device.ts';
import { renderReportHtml } from '../src/report/html.ts';
import type { SavedReport } from '../src/report/saved.ts';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

const STUDIO_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Where the CLI runs: Node, the platform, Dawn's adapter and the versions of what computes. */
export function cliEnvironment(adapter: AdapterSummary | null): RunEnvironment {
  const versions: Record<string, string> = { 'DeFakeQ Studio': STUDIO_VERSION };
  const dawn = packageVersion('webgpu');
  if (dawn) versions['webgpu (Dawn for Node)'] = dawn;
  return { runtime: `Node ${process.version} on ${process.platform} ${process.arch}`, adapter, versions };
}

export function htmlReportFile(saved: SavedReport): Uint8Array {
  const html = renderReportHtml({
    ...saved,
    title: `DeFakeQ report: ${saved.modelFiles[0]?.name ?? 'quantized model'}`,
    created: new Date().toISOString(),
    sweep: null,
    writtenBy: `the DeFakeQ Studio ${STUDIO_VERSION} command line on Node ${process.version}`,
  });
  return new TextEncoder().encode(html);
}
