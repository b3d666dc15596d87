import { create } from 'zustand';
import type { GpuStatus } from '../worker/api.ts';
import { studio } from '../worker/client.ts';

interface GpuState {
  status: GpuStatus | null;
  probe(): Promise<void>;
}

export const useGpu = create<GpuState>((set) => ({
  status: null,
  async probe() {
    try {
      set({ status: await studio().gpuStatus() });
    } catch (error) {
      set({ status: { ok: false, message: `The studio worker failed to start: ${String(error)}` } });
    }
  },
}));
