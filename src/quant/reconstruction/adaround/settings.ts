/**
 * AdaRound's constants and schedule (Nagel et al. 2020, as in the BRECQ reference code), shared by
 * the GPU driver and the float64 reference.
 */

/** Stretch of the rectified sigmoid h(V) = clip(sigmoid(V)(ζ − γ) + γ, 0, 1). */
export const ZETA = 1.1;
export const GAMMA = -0.1;

export interface AdaRoundSettings {
  /** Adam steps. */
  iterations: number;
  /** Rows per minibatch (all rows when fewer). */
  batchRows: number;
  /** Adam step size. */
  lr: number;
  /** Weight of the regulariser (paper 5.1: α = 1). */
  alpha: number;
  /** Fraction of the iterations without the regulariser. */
  warmup: number;
  betaStart: number;
  betaEnd: number;
  /** Adam's moment decays and ε (PyTorch's defaults, which AdaRound uses). */
  adamBeta1: number;
  adamBeta2: number;
  adamEps: number;
}

/**
 * AdaRound runs 10-20k iterations at lr 1e-3; a browser budget is hundreds, so the step is 10x
 * larger (V has to travel about ±1 to change a decision; Adam moves it about lr per step).
 */
export const DEFAULT_SETTINGS: AdaRoundSettings = {
  iterations: 500,
  batchRows: 256,
  lr: 1e-2,
  alpha: 1,
  warmup: 0.2,
  betaStart: 20,
  betaEnd: 2,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEps: 1e-8,
};

/**
 * β of the regulariser at iteration t (0-based) of `total`, and whether the regulariser is on.
 * No regulariser for the first `warmup` fraction; then β decays linearly from betaStart to
 * betaEnd (BRECQ's LinearTempDecay: reaching betaEnd at t = total).
 */
export function betaAt(t: number, total: number, s: Pick<AdaRoundSettings, 'warmup' | 'betaStart' | 'betaEnd'> = DEFAULT_SETTINGS): { beta: number; regularise: boolean } {
  const start = Math.floor(s.warmup * total);
  if (t < start) return { beta: s.betaStart, regularise: false };
  const rel = (t - start) / Math.max(1, total - start);
  return { beta: s.betaEnd + (s.betaStart - s.betaEnd) * Math.max(0, 1 - rel), regularise: true };
}

/** V with h(V) = frac for frac in [0, 1): V = −log((ζ − γ)/(frac − γ) − 1). */
export function vForFraction(frac: number): number {
  return -Math.log((ZETA - GAMMA) / (frac - GAMMA) - 1);
}
