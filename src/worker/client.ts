import * as Comlink from 'comlink';
import type { StudioApi } from './api.ts';

let remote: Comlink.Remote<StudioApi> | null = null;

/** The studio worker, started on first use. All heavy work goes through it. */
export function studio(): Comlink.Remote<StudioApi> {
  remote ??= Comlink.wrap<StudioApi>(
    new Worker(new URL('./studio.worker.ts', import.meta.url), { type: 'module', name: 'studio' }),
  );
  return remote;
}
