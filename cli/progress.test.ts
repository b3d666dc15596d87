import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../src/quant/report.ts';
import { NOTE_EVERY_MS, progressNotes } from './progress.ts';

describe('the quantize progress notes', () => {
  it('note each stage at its start and end and every few seconds between, with the ETA and VEFT\'s latest loss', () => {
    const notes: string[] = [];
    let t = 0;
    const onProgress = progressNotes((text) => notes.push(text), () => t);
    const at = (ms: number, e: Partial<ProgressEvent>) => {
      t = ms;
      onProgress({ stage: 'veft', step: 0, total: 4, etaSeconds: null, ...e });
    };
    at(0, { stage: 'reconstruct', step: 1, total: 2, etaSeconds: 10.2 });
    at(100, { stage: 'reconstruct', step: 2, total: 2, etaSeconds: 0 });
    at(200, { step: 0 });
    at(300, { step: 1, etaSeconds: 30, losses: [{ block: 'blocks.0', iteration: 0, terms: { reconstruction: 2, contrastive: 0.5 } }] });
    at(NOTE_EVERY_MS + 300, { step: 2, etaSeconds: 20 });
    at(NOTE_EVERY_MS + 400, { step: 3, etaSeconds: 10, losses: [{ block: 'blocks.1', iteration: 4, terms: { reconstruction: 1.25, contrastive: 0.125 } }] });
    at(NOTE_EVERY_MS + 500, { step: 4, etaSeconds: 0 });
    at(NOTE_EVERY_MS + 600, { stage: 'evaluate', step: 0, total: 1 });
    expect(notes).toEqual([
      'reconstruct: 1/2, about 11 s left',
      'reconstruct: 2/2',
      'veft: 0/4',
      'veft: 2/4, about 20 s left; blocks.0 step 1: L_rec 2.00, γ2·L_ver 0.500',
      'veft: 4/4; blocks.1 step 5: L_rec 1.25, γ2·L_ver 0.125',
      'evaluate: 0/1',
    ]);
  });
});
