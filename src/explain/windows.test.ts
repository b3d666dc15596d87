import { describe, expect, it } from 'vitest';
import { torchWindowIds } from './dense-reference.ts';
import { shiftFromMask, windowTokens } from './windows.ts';

/** Swin's attention mask as timm and transformers build it: regions of the rolled grid by slices, −100 across regions. */
function torchMask(pr: number, pc: number, window: number, shift: number): Float64Array {
  const region = (i: number, n: number) => (i < n - window ? 0 : i < n - shift ? 1 : 2);
  const label = (r: number, c: number) => region(r, pr) * 3 + region(c, pc);
  const n = window * window;
  const across = pc / window;
  const windows = (pr / window) * across;
  const mask = new Float64Array(windows * n * n);
  for (let t = 0; t < windows; t++) {
    const at = (i: number) => label(Math.floor(t / across) * window + Math.floor(i / window), (t % across) * window + (i % window));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) mask[(t * n + i) * n + j] = at(i) === at(j) ? 0 : -100;
  }
  return mask;
}

const GEOMETRIES = [
  { rows: 8, cols: 8, window: 4 },
  { rows: 11, cols: 11, window: 3 }, // Hugging Face: padded to 12×12
  { rows: 14, cols: 10, window: 7 }, // not square, padded to 14×14
  { rows: 56, cols: 56, window: 7 }, // Swin-T's first stage at 224 px
];

describe('window positions on the grid', () => {
  for (const { rows, cols, window } of GEOMETRIES) {
    it(`match PyTorch's pad, roll and window_partition on a ${rows}×${cols} grid with ${window}×${window} windows`, () => {
      const pr = Math.ceil(rows / window) * window;
      const pc = Math.ceil(cols / window) * window;
      for (const shift of [0, Math.floor(window / 2)]) {
        const got = windowTokens({ window, paddedRows: pr, paddedCols: pc }, shift, rows, cols);
        expect(Array.from(got)).toEqual(torchWindowIds(rows, cols, window, shift).flatMap((w) => Array.from(w)));
        // Every grid token sits in exactly one window position; the rest is padding.
        const seen = Array.from(got).filter((i) => i >= 0).sort((a, b) => a - b);
        expect(seen).toEqual(Array.from({ length: rows * cols }, (_, i) => i));
      }
    });
  }
});

describe('the shift read from a mask', () => {
  for (const { rows, cols, window } of GEOMETRIES) {
    it(`is the shift the mask was built with (${rows}×${cols}, window ${window})`, () => {
      const geometry = { window, paddedRows: Math.ceil(rows / window) * window, paddedCols: Math.ceil(cols / window) * window };
      for (let shift = 1; shift < window; shift++) {
        const mask = torchMask(geometry.paddedRows, geometry.paddedCols, window, shift);
        expect(shiftFromMask({ dims: [mask.length], data: mask }, geometry)).toBe(shift);
      }
      const none = new Float64Array(torchMask(geometry.paddedRows, geometry.paddedCols, window, 1).length);
      expect(shiftFromMask({ dims: [none.length], data: none }, geometry)).toBe(0);
    });
  }

  it('is null for a mask no shift explains', () => {
    const geometry = { window: 4, paddedRows: 8, paddedCols: 8 };
    const mask = torchMask(8, 8, 4, 2);
    mask[5] = mask[5] === 0 ? -100 : 0;
    expect(shiftFromMask({ dims: [mask.length], data: mask }, geometry)).toBeNull();
  });
});
