import { fakeQuantize, perChannelParams } from '../simulation/quantizer.ts';
import type { WeightLayout } from './importance.ts';

/**
 * E_l(b): how much error layer l suffers at b bits, the term the allocator trades against bits.
 *
 * - 'paper':    E(b) = 2^-b, the paper's choice (eq. 5), same for every layer.
 * - 'noise':    E(b) = 4^-b, the noise power of a uniform b-bit quantizer (step^2 / 12).
 * - 'measured': E_l(b) = ||W X - Q_b(W) X||^2 on calibration inputs, one value per layer and
 *               candidate width.
 * - 'logits':   E_l(b) = the mean squared change of the model's (centred) logits when layer l alone
 *               is at b bits, on calibration images (logit-errors.ts). One unit for every layer.
 * - 'diagonal': E_l(b) = sum_k A_k^2 sum_n (W - Q_b(W))_nk^2, 'measured' without the input's
 *               cross-channel terms, from calibration's channel energies (diagonal-errors.ts);
 *               what a model too big for the 'logits' table gets (quant/stage-costs.ts).
 *
 * The objective is sum_l w_l E_l(b_l) with w_l = S_l for the analytic models (eq. 5). A measured
 * error (either kind) already includes |W| and the input energy, so by default it is not
 * multiplied by S_l again (w_l = 1); `weightByScore: true` restores eq. 5's form.
 */
export type ErrorModelName = 'paper' | 'noise' | 'measured' | 'logits' | 'diagonal';
/** The error models read from a table of measured values. */
export type TabulatedErrorName = 'measured' | 'logits' | 'diagonal';

export interface ErrorModel {
  readonly name: ErrorModelName;
  /** Whether the objective multiplies this error by the layer's importance S_l. */
  readonly weightByScore: boolean;
  /** E_l(b) at a candidate width. */
  error(layer: number, bits: number): number;
  /** E_l at a continuous width and its derivative, for the relaxed solver. */
  continuous(layer: number, bits: number): { value: number; slope: number };
}

function exponentialModel(name: 'paper' | 'noise', base: number): ErrorModel {
  const logBase = Math.log(base);
  return {
    name,
    weightByScore: true,
    error: (_layer, bits) => base ** -bits,
    continuous: (_layer, bits) => {
      const value = base ** -bits;
      return { value, slope: -logBase * value };
    },
  };
}

export const paperErrorModel = (): ErrorModel => exponentialModel('paper', 2);
export const noiseErrorModel = (): ErrorModel => exponentialModel('noise', 4);

/** Measured output errors: errors[layer][i] is the error of layer `layer` at candidates[i] bits. */
export interface MeasuredErrorTable {
  candidates: number[];
  errors: number[][];
}

export function measuredErrorModel(table: MeasuredErrorTable, options: { weightByScore?: boolean; name?: TabulatedErrorName } = {}): ErrorModel {
  const { candidates, errors } = table;
  const order = candidates.map((b, i) => ({ b, i })).sort((x, y) => x.b - y.b);
  errors.forEach((row, l) => {
    if (row.length !== candidates.length) {
      throw new RangeError(`measured error table: layer ${l} has ${row.length} entries for ${candidates.length} candidate widths`);
    }
    row.forEach((e, i) => {
      if (!Number.isFinite(e) || e < 0) throw new RangeError(`measured error table: layer ${l} at ${candidates[i]} bits has invalid error ${e}`);
    });
  });
  const rowOf = (layer: number): number[] => {
    const row = errors[layer];
    if (!row) throw new RangeError(`measured error table has no layer ${layer} (it has ${errors.length})`);
    return row;
  };
  return {
    name: options.name ?? 'measured',
    weightByScore: options.weightByScore ?? false,
    error(layer, bits) {
      const i = candidates.indexOf(bits);
      if (i < 0) throw new RangeError(`measured error table has no entry for ${bits} bits (candidates ${candidates.join(',')})`);
      return rowOf(layer)[i];
    },
    // Between two measured widths the error is interpolated geometrically (straight in log E),
    // the shape 2^-b has; linearly where an endpoint is 0. Outside the range it is held flat.
    continuous(layer, bits) {
      const row = rowOf(layer);
      if (bits <= order[0].b) return { value: row[order[0].i], slope: 0 };
      const last = order[order.length - 1];
      if (bits >= last.b) return { value: row[last.i], slope: 0 };
      let k = 0;
      while (order[k + 1].b < bits) k++;
      const lo = order[k];
      const hi = order[k + 1];
      const t = (bits - lo.b) / (hi.b - lo.b);
      const e0 = row[lo.i];
      const e1 = row[hi.i];
      if (e0 > 0 && e1 > 0) {
        const rate = Math.log(e1 / e0) / (hi.b - lo.b);
        const value = e0 * Math.exp(rate * (bits - lo.b));
        return { value, slope: rate * value };
      }
      return { value: e0 + t * (e1 - e0), slope: (e1 - e0) / (hi.b - lo.b) };
    },
  };
}

export function errorModel(name: ErrorModelName, table?: MeasuredErrorTable): ErrorModel {
  switch (name) {
    case 'paper':
      return paperErrorModel();
    case 'noise':
      return noiseErrorModel();
    case 'measured':
      if (!table) throw new Error("error model 'measured' needs a measured error table (see measuredErrorTable)");
      return measuredErrorModel(table);
    case 'logits':
      if (!table) throw new Error("error model 'logits' needs a table of logit errors (see logitErrorTable)");
      return measuredErrorModel(table, { name: 'logits' });
    case 'diagonal':
      if (!table) throw new Error("error model 'diagonal' needs a table of diagonal output errors (see diagonalErrorTable)");
      return measuredErrorModel(table, { name: 'diagonal' });
    default:
      throw new RangeError(`unknown error model '${String(name)}' (expected paper, noise, measured, logits or diagonal)`);
  }
}

/** One layer's weight and a sample of its calibration input X, laid out [rows, inFeatures]. */
export interface MeasuredLayerInput {
  weight: Float32Array;
  layout: WeightLayout;
  inFeatures: number;
  outFeatures: number;
  input: Float32Array;
  rows: number;
}

export interface MeasuredErrorOptions {
  /**
   * 'direct' multiplies (W - Q(W)) by X for every width; 'gram' forms G = X^T X once and sums
   * dW_n^T G dW_n, cheaper when rows exceed inFeatures. 'auto' (default) picks the cheaper.
   */
  method?: 'direct' | 'gram' | 'auto';
}

/** The weight as [outFeatures, inFeatures] (one quantization channel per row), in a fresh array. */
function outputRows(layer: MeasuredLayerInput): Float32Array {
  const { weight, inFeatures: k, outFeatures: n } = layer;
  if (layer.layout === 'NxK') return weight;
  const out = new Float32Array(n * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[j * k + i] = weight[i * n + j];
  return out;
}

function weightError(rows: Float32Array, n: number, k: number, bits: number): Float64Array {
  const params = perChannelParams(rows, n, k, bits);
  const delta = new Float64Array(n * k);
  for (let j = 0; j < n; j++) {
    const p = params[j];
    for (let i = 0; i < k; i++) delta[j * k + i] = rows[j * k + i] - fakeQuantize(rows[j * k + i], p);
  }
  return delta;
}

function directError(x: Float32Array, rows: number, delta: Float64Array, n: number, k: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const xb = r * k;
    for (let j = 0; j < n; j++) {
      const db = j * k;
      let dot = 0;
      for (let i = 0; i < k; i++) dot += x[xb + i] * delta[db + i];
      total += dot * dot;
    }
  }
  return total;
}

function gram(x: Float32Array, rows: number, k: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let r = 0; r < rows; r++) {
    const xb = r * k;
    for (let a = 0; a < k; a++) {
      const va = x[xb + a];
      if (va === 0) continue;
      const gb = a * k;
      for (let b = a; b < k; b++) g[gb + b] += va * x[xb + b];
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) g[a * k + b] = g[b * k + a];
  return g;
}

function gramError(g: Float64Array, delta: Float64Array, n: number, k: number): number {
  let total = 0;
  for (let j = 0; j < n; j++) {
    const db = j * k;
    for (let a = 0; a < k; a++) {
      const da = delta[db + a];
      if (da === 0) continue;
      const gb = a * k;
      let row = 0;
      for (let b = 0; b < k; b++) row += g[gb + b] * delta[db + b];
      total += da * row;
    }
  }
  return total;
}

/**
 * ||W X - Q_b(W) X||^2 for every layer and candidate width, with the shared per-channel quantizer
 * (min/max ranges, round half to even). CPU only: meant for small layers and tests; the pipeline's
 * GPU version replaces it at model scale.
 */
export function measuredErrorTable(
  layers: readonly MeasuredLayerInput[],
  candidates: readonly number[],
  options: MeasuredErrorOptions = {},
): MeasuredErrorTable {
  const method = options.method ?? 'auto';
  const errors = layers.map((layer, l) => {
    const { inFeatures: k, outFeatures: n, rows } = layer;
    if (layer.weight.length !== k * n) throw new RangeError(`measuredErrorTable: layer ${l} weight has ${layer.weight.length} values, expected ${k} x ${n}`);
    if (layer.layout !== 'KxN' && layer.layout !== 'NxK') throw new RangeError(`measuredErrorTable: layer ${l} has unknown layout '${String(layer.layout)}'`);
    if (!Number.isInteger(rows) || rows <= 0 || layer.input.length !== rows * k) {
      throw new RangeError(`measuredErrorTable: layer ${l} input has ${layer.input.length} values, expected ${rows} rows x ${k}`);
    }
    const w = outputRows(layer);
    const useGram = method === 'gram' || (method === 'auto' && rows * k * k + candidates.length * n * k * k < candidates.length * rows * n * k);
    const g = useGram ? gram(layer.input, rows, k) : null;
    return candidates.map((bits) => {
      const delta = weightError(w, n, k, bits);
      return g ? gramError(g, delta, n, k) : directError(layer.input, rows, delta, n, k);
    });
  });
  return { candidates: [...candidates], errors };
}
