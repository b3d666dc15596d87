// AdaRound (paper eq. 7-8): the rectified sigmoid and the gradient of the loss with respect to one
// rounding variable V. Shared by adaround_soft / adaround_grad_v / adaround_adam / adaround_loss,
// which are compiled as quantizer.wgsl + this file + the kernel file. Float64 twin:
// src/quant/adaround/reference.ts.
//
// The weight enters as base = floor(W / s), computed once on the CPU, so that the GPU and the CPU
// agree on the floor even where W / s is within an ulp of an integer.

const ADAROUND_ZETA: f32 = 1.1;
const ADAROUND_GAMMA: f32 = -0.1;

fn adaround_sigmoid(v: f32) -> f32 {
  return 1.0 / (1.0 + exp(-v));
}

// h(V) = clip(sigmoid(V)(zeta - gamma) + gamma, 0, 1)
fn adaround_h(v: f32) -> f32 {
  return clamp(adaround_sigmoid(v) * (ADAROUND_ZETA - ADAROUND_GAMMA) + ADAROUND_GAMMA, 0.0, 1.0);
}

// The integer code floor(W/s) + h + z clamped to the grid, and its dequantized value s (q - z).
fn adaround_weight(base: f32, h: f32, s: f32, z: f32, bits: u32) -> f32 {
  return s * (clamp(base + h + z, 0.0, quant_levels(bits)) - z);
}

// One term of the regulariser, 1 - |2h - 1|^beta (pow(0, beta) is undefined in WGSL).
fn adaround_reg(h: f32, beta: f32) -> f32 {
  let u = abs(2.0 * h - 1.0);
  if (u == 0.0) { return 1.0; }
  return 1.0 - pow(u, beta);
}

// dL/dV for L = rec + alpha * reg, given gw = d rec / d W~:
//   dW~/dh = s where the code is inside [0, 2^k - 1], else 0
//   dh/dV  = (zeta - gamma) sigma(V) (1 - sigma(V)) where 0 < h < 1, else 0
//   d reg / dh = -2 beta |2h - 1|^(beta - 1) sign(2h - 1)
fn adaround_grad(v: f32, base: f32, s: f32, z: f32, bits: u32, gw: f32, alpha: f32, beta: f32) -> f32 {
  let sig = adaround_sigmoid(v);
  let hRaw = sig * (ADAROUND_ZETA - ADAROUND_GAMMA) + ADAROUND_GAMMA;
  if (hRaw <= 0.0 || hRaw >= 1.0) { return 0.0; }
  let dhdv = (ADAROUND_ZETA - ADAROUND_GAMMA) * sig * (1.0 - sig);
  let q = base + hRaw + z;
  var dwdh = s;
  if (q < 0.0 || q > quant_levels(bits)) { dwdh = 0.0; }
  let u = 2.0 * hRaw - 1.0;
  var dreg = 0.0;
  if (u != 0.0) { dreg = -2.0 * beta * pow(abs(u), beta - 1.0) * sign(u); }
  return (gw * dwdh + alpha * dreg) * dhdv;
}
