/**
 * A second, deliberately plain implementation of the maps for tests: dense float64 token × token
 * matrices, Swin windows placed by transcribing PyTorch's pad → roll → window_partition, and the
 * shifts and grids given by the caller from the model's definition (not read from the graph).
 */
import type { TensorLike } from './windows.ts';

export type Matrix = Float64Array[];

export interface DenseCore {
  probs: TensorLike;
  /** Token models: tokens = prefix + rows·cols. Window models: the stage grid, window and shift. */
  kind: 'tokens' | 'windows';
  stage: number;
  window?: number;
  shift?: number;
}

export interface DenseModel {
  stages: { rows: number; cols: number }[];
  prefix: number;
  readout: number[];
  cores: DenseCore[];
}

const zeros = (n: number): Matrix => Array.from({ length: n }, () => new Float64Array(n));

function multiply(a: Matrix, b: Matrix): Matrix {
  const out = Array.from({ length: a.length }, () => new Float64Array(b[0].length));
  a.forEach((row, i) => row.forEach((v, k) => { if (v !== 0) for (let j = 0; j < b[0].length; j++) out[i][j] += v * b[k][j]; }));
  return out;
}

/** torch: F.pad to a multiple of the window, torch.roll(x, (−s, −s)), window_partition; token ids in, −1 for padding. */
export function torchWindowIds(rows: number, cols: number, window: number, shift: number): Int32Array[] {
  const pr = Math.ceil(rows / window) * window;
  const pc = Math.ceil(cols / window) * window;
  const padded = Array.from({ length: pr }, (_, r) => Int32Array.from({ length: pc }, (_, c) => (r < rows && c < cols ? r * cols + c : -1)));
  // torch.roll with a negative shift: out[i] = in[(i + s) mod n].
  const rolled = Array.from({ length: pr }, (_, r) => Int32Array.from({ length: pc }, (_, c) => padded[(r + shift) % pr][(c + shift) % pc]));
  const windows: Int32Array[] = [];
  for (let wr = 0; wr < pr / window; wr++) {
    for (let wc = 0; wc < pc / window; wc++) {
      const w = new Int32Array(window * window);
      for (let i = 0; i < window; i++) for (let j = 0; j < window; j++) w[i * window + j] = rolled[wr * window + i][wc * window + j];
      windows.push(w);
    }
  }
  return windows;
}

/** Per head, the core's attention of image `image` as a dense matrix over its stage's tokens. */
export function denseAttention(model: DenseModel, core: DenseCore, image: number, weights?: TensorLike): Matrix[] {
  const [, heads, n] = core.probs.dims;
  const value = (i: number) => (weights ? Math.max(0, core.probs.data[i] * weights.data[i]) : core.probs.data[i]);
  if (core.kind === 'tokens') {
    return Array.from({ length: heads }, (_, h) => Array.from({ length: n }, (_, q) => Float64Array.from({ length: n }, (_, k) => value(((image * heads + h) * n + q) * n + k))));
  }
  const { rows, cols } = model.stages[core.stage];
  const ids = torchWindowIds(rows, cols, core.window!, core.shift!);
  return Array.from({ length: heads }, (_, h) => {
    const a = zeros(rows * cols);
    ids.forEach((w, t) => w.forEach((q, i) => w.forEach((k, j) => {
      if (q >= 0 && k >= 0) a[q][k] = value((((image * ids.length + t) * heads + h) * n + i) * n + j);
    })));
    return a;
  });
}

const mean = (ms: Matrix[]): Matrix => ms[0].map((row, i) => row.map((_, j) => ms.reduce((s, m) => s + m[i][j], 0) / ms.length));

function merge(fine: { rows: number; cols: number }, merged: { rows: number; cols: number }): Matrix {
  const m = Array.from({ length: merged.rows * merged.cols }, () => new Float64Array(fine.rows * fine.cols));
  m.forEach((row, p) => {
    const kids = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([dr, dc]) => [2 * Math.floor(p / merged.cols) + dr, 2 * (p % merged.cols) + dc]).filter(([r, c]) => r < fine.rows && c < fine.cols);
    for (const [r, c] of kids) row[r * fine.cols + c] = 1 / kids.length;
  });
  return m;
}

function readoutRows(model: DenseModel, r: Matrix): Float64Array {
  const rows = model.cores[0].kind === 'tokens' ? model.readout : r.map((_, i) => i);
  const out = new Float64Array(r[0].length);
  for (const i of rows) r[i].forEach((v, j) => (out[j] += v / rows.length));
  return out;
}

/** Relevance at block `upTo`: the product of per-block matrices (and merges) read at the readout. */
function product(model: DenseModel, upTo: number, blockMatrix: (b: number) => Matrix): Float64Array {
  let stage = model.cores[upTo].stage;
  let r: Matrix | null = null;
  for (let b = upTo; b >= 0; b--) {
    for (; stage > model.cores[b].stage; stage--) r = multiply(r!, merge(model.stages[stage - 1], model.stages[stage]));
    r = r ? multiply(r, blockMatrix(b)) : blockMatrix(b);
  }
  for (; stage > 0; stage--) r = multiply(r!, merge(model.stages[stage - 1], model.stages[stage]));
  return readoutRows(model, r!).slice(model.prefix);
}

export function denseRollout(model: DenseModel, image: number, upTo = model.cores.length - 1): Float64Array {
  return product(model, upTo, (b) => {
    const a = mean(denseAttention(model, model.cores[b], image));
    return a.map((row, i) => {
      const withSelf = row.map((v, j) => v + (i === j ? 1 : 0));
      const sum = withSelf.reduce((s, v) => s + v, 0);
      return withSelf.map((v) => v / sum);
    });
  });
}

export function denseGradientMap(model: DenseModel, image: number, gradients: TensorLike[], upTo = model.cores.length - 1): Float64Array {
  return product(model, upTo, (b) => mean(denseAttention(model, model.cores[b], image, gradients[b])).map((row, i) => row.map((v, j) => v + (i === j ? 1 : 0))));
}

/** Raw attention of block b, one map per head: the readout rows' mean (token models) or every row's (window models). */
export function denseRawAttention(model: DenseModel, image: number, b: number): Float64Array[] {
  const core = model.cores[b];
  const prefix = core.kind === 'tokens' ? model.prefix : 0;
  return denseAttention(model, core, image).map((a) => readoutRows(model, a).slice(prefix));
}
