import * as Comlink from 'comlink';
import type { LiveApi } from './live-api.ts';

let remote: Comlink.Remote<LiveApi> | null = null;

/** The live check's worker, started on first use: onnxruntime-web runs the frames there, off the page's thread. */
export function live(): Comlink.Remote<LiveApi> {
  remote ??= Comlink.wrap<LiveApi>(new Worker(new URL('./live.worker.ts', import.meta.url), { type: 'module', name: 'live' }));
  return remote;
}
