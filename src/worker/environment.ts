/** Where the studio runs, for the reports: the browser, the worker's WebGPU adapter, and versions. */
import { version as STUDIO_VERSION } from '../../package.json';
import type { RunEnvironment } from '../export/report.ts';
import { ortWeb } from '../export/ort-web.ts';
import { openSession } from './state.ts';

export { STUDIO_VERSION };

export async function studioEnvironment(): Promise<RunEnvironment> {
  const versions: Record<string, string> = { 'DeFakeQ Studio': STUDIO_VERSION };
  const ort = await ortWeb('wasm').catch(() => null);
  const web = ort?.env?.versions?.web;
  if (web) versions['onnxruntime-web'] = web;
  const adapter = await openSession().then((s) => s.context.summary, () => null);
  return { runtime: navigator.userAgent, adapter, versions };
}

/** "DeFakeQ Studio 0.1.0 in Chrome 140" (or the user agent when the browser is not recognised). */
export function studioWriter(): string {
  const agent = navigator.userAgent;
  const browser = /(Edg|Firefox|Chrome|Chromium|Safari)\/([\d.]+)/.exec(agent);
  return `DeFakeQ Studio ${STUDIO_VERSION} in ${browser ? `${browser[1] === 'Edg' ? 'Edge' : browser[1]} ${browser[2]!.split('.')[0]}` : agent}`;
}
