import { describe, expect, it, vi } from 'vitest';
import type { ProgressEvent, VeftLossPoint } from '../quant/report.ts';
import type { QuantizeStatus } from '../worker/api.ts';

/** A worker whose quantize() streams the events a test gives it, checking the store in between. */
const worker = vi.hoisted(() => ({
  script: [] as (ProgressEvent | (() => void))[],
}));

vi.mock('../worker/client.ts', () => ({
  studio: () => ({
    checkSettings: async () => ({ ok: true }),
    estimateRun: async () => ({ seconds: null, stages: [], rate: 0, scaled: [] }),
    async quantize(_c: unknown, _e: unknown, _s: unknown, onProgress: (e: ProgressEvent) => void): Promise<QuantizeStatus> {
      for (const entry of worker.script) {
        if (typeof entry === 'function') entry();
        else onProgress(entry);
      }
      return { ok: false, message: 'the test run ends here' };
    },
  }),
}));

const { useData } = await import('./data.ts');
const { useQuantize } = await import('./quantize.ts');

const point = (block: string, iteration: number): VeftLossPoint => ({ block, iteration, terms: { reconstruction: 1 / (iteration + 1), contrastive: 0.5 } });
const veftStep = (step: number, losses?: VeftLossPoint[]): ProgressEvent => ({ stage: 'veft', step, total: 4, etaSeconds: null, ...(losses ? { losses } : {}) });

describe('the quantize store and the VEFT loss curve', () => {
  useData.setState({ calibration: { files: [{ name: 'a.png', file: new Blob([]) }], status: { ok: true, images: 1, real: null, fake: null }, checking: false } });

  it('accumulates the streamed loss points during a run and starts empty on the next', async () => {
    const seen: number[] = [];
    worker.script = [
      veftStep(0),
      veftStep(1, [point('blocks.0', 0), point('blocks.0', 1)]),
      () => seen.push(useQuantize.getState().lossCurve.length),
      veftStep(2),
      veftStep(3, [point('blocks.1', 0)]),
      () => seen.push(useQuantize.getState().lossCurve.length),
    ];
    await useQuantize.getState().run();
    expect(seen).toEqual([2, 3]);
    expect(useQuantize.getState().lossCurve.map((p) => `${p.block}@${p.iteration}`)).toEqual(['blocks.0@0', 'blocks.0@1', 'blocks.1@0']);
    // The progress keeps the step, not the points.
    expect(useQuantize.getState().progress.veft).toEqual({ stage: 'veft', step: 3, total: 4, etaSeconds: null });

    worker.script = [() => seen.push(useQuantize.getState().lossCurve.length), veftStep(1, [point('blocks.0', 0)])];
    await useQuantize.getState().run();
    expect(seen).toEqual([2, 3, 0]);
    expect(useQuantize.getState().lossCurve).toEqual([point('blocks.0', 0)]);

    useQuantize.getState().reset();
    expect(useQuantize.getState().lossCurve).toEqual([]);
  });
});
