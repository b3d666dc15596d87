/**
 * Learned rounding (AdaRound; paper eq. 7-8) in float64, for tests: the GPU kernels in
 * shaders/rounding_*.wgsl are checked against these, and these against finite differences.
 */

export const ZETA = 1.1;
export const GAMMA = -0.1;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function rectifiedSigmoid(v: number): number {
  return Math.min(1, Math.max(0, sigmoid(v) * (ZETA - GAMMA) + GAMMA));
}

/** V such that h(V) equals the fractional part of w / s (the starting point of the search). */
export function initialV(w: number, s: number): number {
  const frac = w / s - Math.floor(w / s);
  const p = Math.min(Math.max((frac - GAMMA) / (ZETA - GAMMA), 1e-6), 1 - 1e-6);
  return Math.log(p / (1 - p));
}

/** A layer's rounding problem: W is N x K (output channels as rows), X is R x K, Y = X·Wᵀ the target. */
export interface RoundingProblem {
  N: number;
  K: number;
  R: number;
  w: ArrayLike<number>;
  scales: ArrayLike<number>;
  zeros: ArrayLike<number>;
  bits: number;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export function softWeight(p: RoundingProblem, v: ArrayLike<number>, hard = false): Float64Array {
  const out = new Float64Array(p.N * p.K);
  const top = 2 ** p.bits - 1;
  for (let i = 0; i < out.length; i++) {
    const n = Math.floor(i / p.K);
    const s = p.scales[n];
    const h = hard ? (v[i] >= 0 ? 1 : 0) : rectifiedSigmoid(v[i]);
    const q = Math.min(top, Math.max(0, Math.floor(p.w[i] / s) + h + p.zeros[n]));
    out[i] = s * (q - p.zeros[n]);
  }
  return out;
}

/** rec = (1/R) Σ (X W~ᵀ − Y)²; reg = Σ (1 − |2h − 1|^β); total = rec + α·reg. */
export function roundingLoss(p: RoundingProblem, v: ArrayLike<number>, alpha: number, beta: number): { rec: number; reg: number; total: number } {
  const wq = softWeight(p, v);
  let rec = 0;
  for (let r = 0; r < p.R; r++)
    for (let n = 0; n < p.N; n++) {
      let acc = 0;
      for (let k = 0; k < p.K; k++) acc += p.x[r * p.K + k] * wq[n * p.K + k];
      rec += (acc - p.y[r * p.N + n]) ** 2;
    }
  rec /= p.R;
  let reg = 0;
  for (let i = 0; i < v.length; i++) reg += 1 - Math.abs(2 * rectifiedSigmoid(v[i]) - 1) ** beta;
  return { rec, reg, total: rec + alpha * reg };
}

/** dL/dV, analytically, following the same chain rule as shaders/rounding_adam.wgsl. */
export function roundingGradient(p: RoundingProblem, v: ArrayLike<number>, alpha: number, beta: number): Float64Array {
  const wq = softWeight(p, v);
  const d = new Float64Array(p.R * p.N);
  for (let r = 0; r < p.R; r++)
    for (let n = 0; n < p.N; n++) {
      let acc = 0;
      for (let k = 0; k < p.K; k++) acc += p.x[r * p.K + k] * wq[n * p.K + k];
      d[r * p.N + n] = acc - p.y[r * p.N + n];
    }
  const top = 2 ** p.bits - 1;
  const grad = new Float64Array(p.N * p.K);
  for (let n = 0; n < p.N; n++)
    for (let k = 0; k < p.K; k++) {
      const i = n * p.K + k;
      let gw = 0;
      for (let r = 0; r < p.R; r++) gw += d[r * p.N + n] * p.x[r * p.K + k];
      gw *= 2 / p.R;
      const s = p.scales[n];
      const sig = sigmoid(v[i]);
      const hRaw = sig * (ZETA - GAMMA) + GAMMA;
      const h = Math.min(1, Math.max(0, hRaw));
      const dhdv = hRaw > 0 && hRaw < 1 ? (ZETA - GAMMA) * sig * (1 - sig) : 0;
      const q = Math.floor(p.w[i] / s) + h + p.zeros[n];
      const dwdh = q < 0 || q > top ? 0 : s;
      const u = 2 * h - 1;
      const dreg = u === 0 ? 0 : -2 * beta * Math.abs(u) ** (beta - 1) * Math.sign(u);
      grad[i] = (gw * dwdh + alpha * dreg) * dhdv;
    }
  return grad;
}

/** β of the regulariser at iteration t of T: no regulariser in the first 20% (α is 0 then), then 20 → 2 linearly. */
export function annealing(t: number, total: number, warmup = 0.2): { beta: number; active: boolean } {
  const start = Math.floor(total * warmup);
  if (t < start) return { beta: 20, active: false };
  const f = total - start <= 1 ? 1 : (t - start) / (total - start - 1);
  return { beta: 20 - 18 * Math.min(1, f), active: true };
}
