/**
 * AdaRound (paper eq. 7-8) in float64, for tests: the kernels in shaders/adaround_*.wgsl are
 * checked against these functions, and these against central differences.
 *   W~  = s (clamp(base + h(V) + z, 0, 2^k − 1) − z),  base = floor(W/s)
 *   rec = (1/R) Σ_r Σ_n (X W~ᵀ − Y)²_rn    (summed over outputs, averaged over rows)
 *   reg = Σ_i (1 − |2h(V_i) − 1|^β),        L = rec + α·reg
 */
import { GAMMA, ZETA } from './settings.ts';

export interface RoundingProblem {
  N: number;
  K: number;
  R: number;
  bits: number;
  /** floor(W/s), N x K. */
  base: ArrayLike<number>;
  scales: ArrayLike<number>;
  zeros: ArrayLike<number>;
  /** Inputs R x K and targets R x N. */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export const rectifiedSigmoid = (v: number) => Math.min(1, Math.max(0, sigmoid(v) * (ZETA - GAMMA) + GAMMA));

export function softWeight(p: RoundingProblem, v: ArrayLike<number>): Float64Array {
  const top = 2 ** p.bits - 1;
  const out = new Float64Array(p.N * p.K);
  for (let i = 0; i < out.length; i++) {
    const n = Math.floor(i / p.K);
    const q = Math.min(top, Math.max(0, p.base[i] + rectifiedSigmoid(v[i]) + p.zeros[n]));
    out[i] = p.scales[n] * (q - p.zeros[n]);
  }
  return out;
}

/** D = X W~ᵀ − Y, R x N. */
export function residual(p: RoundingProblem, wq: ArrayLike<number>): Float64Array {
  const d = new Float64Array(p.R * p.N);
  for (let r = 0; r < p.R; r++) {
    for (let n = 0; n < p.N; n++) {
      let acc = 0;
      for (let k = 0; k < p.K; k++) acc += p.x[r * p.K + k] * wq[n * p.K + k];
      d[r * p.N + n] = acc - p.y[r * p.N + n];
    }
  }
  return d;
}

export function reconstructionLoss(p: RoundingProblem, v: ArrayLike<number>): number {
  let sum = 0;
  for (const d of residual(p, softWeight(p, v))) sum += d * d;
  return sum / p.R;
}

export function regulariser(v: ArrayLike<number>, beta: number): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += 1 - Math.abs(2 * rectifiedSigmoid(v[i]) - 1) ** beta;
  return sum;
}

/** d rec / d W~ = (2/R) Dᵀ X, N x K. */
export function weightGradient(p: RoundingProblem, v: ArrayLike<number>): Float64Array {
  const d = residual(p, softWeight(p, v));
  const g = new Float64Array(p.N * p.K);
  for (let n = 0; n < p.N; n++) {
    for (let k = 0; k < p.K; k++) {
      let acc = 0;
      for (let r = 0; r < p.R; r++) acc += d[r * p.N + n] * p.x[r * p.K + k];
      g[n * p.K + k] = (2 / p.R) * acc;
    }
  }
  return g;
}

/** dL/dV from gw = d rec / d W~, by the chain rule through W~ and h, plus α · d reg / dV. */
export function chainToV(p: RoundingProblem, v: ArrayLike<number>, gw: ArrayLike<number>, alpha: number, beta: number): Float64Array {
  const top = 2 ** p.bits - 1;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const n = Math.floor(i / p.K);
    const sig = sigmoid(v[i]);
    const h = sig * (ZETA - GAMMA) + GAMMA;
    if (h <= 0 || h >= 1) continue;
    const dhdv = (ZETA - GAMMA) * sig * (1 - sig);
    const q = p.base[i] + h + p.zeros[n];
    const dwdh = q < 0 || q > top ? 0 : p.scales[n];
    const u = 2 * h - 1;
    const dreg = u === 0 ? 0 : -2 * beta * Math.abs(u) ** (beta - 1) * Math.sign(u);
    out[i] = (gw[i] * dwdh + alpha * dreg) * dhdv;
  }
  return out;
}

export function lossGradient(p: RoundingProblem, v: ArrayLike<number>, alpha: number, beta: number): Float64Array {
  return chainToV(p, v, weightGradient(p, v), alpha, beta);
}

export interface AdamState {
  v: Float64Array;
  m: Float64Array;
  u: Float64Array;
}

/** One Adam step (t is 1-based), in place. */
export function adamStep(s: AdamState, grad: ArrayLike<number>, t: number, lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): void {
  for (let i = 0; i < s.v.length; i++) {
    s.m[i] = beta1 * s.m[i] + (1 - beta1) * grad[i];
    s.u[i] = beta2 * s.u[i] + (1 - beta2) * grad[i] * grad[i];
    s.v[i] -= (lr * (s.m[i] / (1 - beta1 ** t))) / (Math.sqrt(s.u[i] / (1 - beta2 ** t)) + eps);
  }
}
