import * as Comlink from 'comlink';
import { GpuSession } from '../gpu/device.ts';
import { assertSupported, openModel } from '../model/open.ts';
import type { FileBytes, GpuStatus, ModelStatus, StudioApi } from './api.ts';

let session: Promise<GpuSession> | null = null;

function openSession(): Promise<GpuSession> {
  session ??= GpuSession.open();
  session.catch(() => (session = null));
  return session;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

const api: StudioApi = {
  async gpuStatus(): Promise<GpuStatus> {
    try {
      const s = await openSession();
      return { ok: true, adapter: s.context.summary };
    } catch (error) {
      return { ok: false, message: message(error) };
    }
  },

  async openModel(file: FileBytes, extra: FileBytes[]): Promise<ModelStatus> {
    try {
      const external = (location: string) => extra.find((f) => f.name === location || f.name.endsWith(`/${location}`))?.bytes;
      const opened = openModel(file.bytes, file.name, external);
      assertSupported(opened.model);
      return { ok: true, fileName: file.name, bytes: file.bytes.byteLength, report: opened.report };
    } catch (error) {
      // The model that was open before stays open.
      return { ok: false, fileName: file.name, message: message(error) };
    }
  },
};

Comlink.expose(api);
