import * as Comlink from 'comlink';
import { GpuSession } from '../gpu/device.ts';
import type { GpuStatus, StudioApi } from './api.ts';

let session: Promise<GpuSession> | null = null;

function openSession(): Promise<GpuSession> {
  session ??= GpuSession.open();
  session.catch(() => (session = null));
  return session;
}

const api: StudioApi = {
  async gpuStatus(): Promise<GpuStatus> {
    try {
      const s = await openSession();
      return { ok: true, adapter: s.context.summary };
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
  },
};

Comlink.expose(api);
