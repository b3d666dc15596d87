/**
 * Swin's window bookkeeping, undone. A block pads its H×W grid to a multiple of the window,
 * rolls it by −shift on both axes (torch.roll), and cuts it into window×window tiles in row-major
 * order; attention runs inside each tile. A token at (row, col) of tile t therefore came from
 * ((tile row·w + row + shift) mod paddedRows, (tile col·w + col + shift) mod paddedCols) of the
 * padded grid, and it is padding when that lies outside H×W.
 */

/** A tensor as either executor returns it: float32 GPU taps, float64 reference values. */
export interface TensorLike {
  dims: readonly number[];
  data: ArrayLike<number>;
}

export interface WindowGeometry {
  window: number;
  paddedRows: number;
  paddedCols: number;
}

/**
 * For each position of each window (window-major), the padded-grid position it came from:
 * row·paddedCols + col. Tokens are numbered as the attention sees them.
 */
export function windowSources({ window, paddedRows, paddedCols }: WindowGeometry, shift: number): Int32Array {
  const across = paddedCols / window;
  const windows = (paddedRows / window) * across;
  const n = window * window;
  const out = new Int32Array(windows * n);
  for (let t = 0; t < windows; t++) {
    const top = Math.floor(t / across) * window;
    const left = (t % across) * window;
    for (let i = 0; i < n; i++) {
      const row = (top + Math.floor(i / window) + shift) % paddedRows;
      const col = (left + (i % window) + shift) % paddedCols;
      out[t * n + i] = row * paddedCols + col;
    }
  }
  return out;
}

/**
 * The grid index (row·cols + col) of every window position, or −1 for padding: `windowSources`
 * with the padding cut off.
 */
export function windowTokens(geometry: WindowGeometry, shift: number, rows: number, cols: number): Int32Array {
  const sources = windowSources(geometry, shift);
  return sources.map((p) => {
    const row = Math.floor(p / geometry.paddedCols);
    const col = p % geometry.paddedCols;
    return row < rows && col < cols ? row * cols + col : -1;
  });
}

/**
 * The shift a shifted-window mask was built for. Two tokens of one rolled window may attend to
 * each other exactly when neither or both wrapped around the same edge in the roll; the mask
 * blocks the other pairs (Swin's −100). Returns the shift in 0 … window−1 whose blocked pairs are
 * exactly the mask's, or null when none matches.
 */
export function shiftFromMask(mask: TensorLike, geometry: WindowGeometry): number | null {
  const { window, paddedRows, paddedCols } = geometry;
  const n = window * window;
  const across = paddedCols / window;
  const windows = mask.data.length / (n * n);
  for (let shift = 0; shift < window; shift++) {
    let matches = true;
    for (let t = 0; t < windows && matches; t++) {
      const top = Math.floor(t / across) * window;
      const left = (t % across) * window;
      const wrapRow = (i: number) => top + Math.floor(i / window) + shift >= paddedRows;
      const wrapCol = (i: number) => left + (i % window) + shift >= paddedCols;
      for (let i = 0; i < n && matches; i++) {
        for (let j = 0; j < n && matches; j++) {
          const blocked = wrapRow(i) !== wrapRow(j) || wrapCol(i) !== wrapCol(j);
          matches = blocked === mask.data[(t * n + i) * n + j] <= -1;
        }
      }
    }
    if (matches) return shift;
  }
  return null;
}
