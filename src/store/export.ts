import { create } from 'zustand';
import type { ExportTarget, WeightFormat } from '../export/writer.ts';
import type { ExportStatus } from '../worker/export-api.ts';
import { studio } from '../worker/client.ts';
import { download } from './download.ts';
import { useQuantize } from './quantize.ts';

interface ExportState {
  target: ExportTarget;
  /** null: the target's own format. */
  format: WeightFormat | null;
  running: boolean;
  status: ExportStatus | null;
  configure(patch: Partial<Pick<ExportState, 'target' | 'format'>>): void;
  run(images: File[]): Promise<void>;
  /** Offers one of the exported files as a download. */
  download(which: 'onnx' | 'report' | 'zip'): void;
}

const NAMES = { onnx: '.onnx', report: '_quant_report.json', zip: '_bundle.zip' } as const;
const TYPES = { onnx: 'application/octet-stream', report: 'application/json', zip: 'application/zip' } as const;

export const useExport = create<ExportState>((set, get) => ({
  target: 'wasm',
  format: null,
  running: false,
  status: null,
  configure(patch) {
    set(patch);
  },
  async run(images) {
    if (get().running) return;
    set({ running: true, status: null });
    try {
      const files = await Promise.all(images.map(async (f) => ({ name: f.webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const { target, format } = get();
      set({ status: await studio().exportModel({ target, format: format ?? undefined, images: files }) });
    } catch (error) {
      set({ status: { ok: false, message: String(error), layers: [] } });
    } finally {
      set({ running: false });
    }
  },
  download(which) {
    const status = get().status;
    if (!status?.ok) return;
    download(`${status.files.baseName}${NAMES[which]}`, status.files[which], TYPES[which]);
  },
}));

// Another run (a new one, or a kept one reopened) is not the one exported: its export must be made again.
useQuantize.subscribe((state, previous) => {
  if (state.result !== previous.result) useExport.setState({ status: null });
});
