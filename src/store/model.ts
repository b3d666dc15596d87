import { create } from 'zustand';
import type { ModelStatus } from '../worker/api.ts';
import { studio } from '../worker/client.ts';

interface ModelState {
  loading: string | null;
  status: ModelStatus | null;
  /** The last model that opened: kept when a later file fails. */
  opened: Extract<ModelStatus, { ok: true }> | null;
  open(files: File[]): Promise<void>;
}

async function bytesOf(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

export const useModel = create<ModelState>((set) => ({
  loading: null,
  status: null,
  opened: null,
  async open(files) {
    const modelFile = files.find((f) => f.name.toLowerCase().endsWith('.onnx')) ?? files[0];
    if (!modelFile) return;
    set({ loading: modelFile.name });
    try {
      const extra = await Promise.all(
        files.filter((f) => f !== modelFile && (f.name.endsWith('.onnx_data') || f.name.endsWith('.json'))).map(async (f) => ({ name: f.name, bytes: await bytesOf(f) })),
      );
      const status = await studio().openModel({ name: modelFile.name, bytes: await bytesOf(modelFile) }, extra);
      set((s) => ({ status, opened: status.ok ? status : s.opened, loading: null }));
    } catch (error) {
      set({ status: { ok: false, fileName: modelFile.name, message: String(error) }, loading: null });
    }
  },
}));
