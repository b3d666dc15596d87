import type { ProgressEvent, VeftLossPoint } from '../src/quant/report.ts';
import { lossText } from '../src/report/veft.ts';

/** Milliseconds between two notes of one stage. */
export const NOTE_EVERY_MS = 5000;

/**
 * The quantize command's progress notes: a stage's first and last step, and one note every
 * NOTE_EVERY_MS between, with the ETA and, while VEFT tunes, its latest recorded loss.
 */
export function progressNotes(note: (text: string) => void, now: () => number = Date.now): (e: ProgressEvent) => void {
  let lastStage = '';
  let lastNote = 0;
  let loss: { stage: string; point: VeftLossPoint } | null = null;
  return (e) => {
    const point = e.losses?.at(-1);
    if (point) loss = { stage: e.stage, point };
    const t = now();
    if (e.stage === lastStage && t - lastNote < NOTE_EVERY_MS && e.step !== e.total) return;
    lastStage = e.stage;
    lastNote = t;
    const eta = e.etaSeconds !== null && e.step < e.total ? `, about ${Math.ceil(e.etaSeconds)} s left` : '';
    const latest = loss?.stage === e.stage ? `; ${lossText(loss.point)}` : '';
    note(`${e.stage}: ${e.step}/${e.total}${eta}${latest}`);
  };
}
