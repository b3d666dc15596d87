// One Adam step on the rounding variables V (AdaRound, paper eq. 8), given the gradient of the
// reconstruction loss with respect to W~ (N x K). The chain rule to V:
//   dW~/dh = s where the code is not clamped, else 0;  dh/dV = (zeta - gamma) sigma(V)(1 - sigma(V)) where 0 < h < 1
// and the regulariser R = sum(1 - |2h - 1|^beta) adds  alpha * dR/dh * dh/dV.
// Compiled with shaders/quantizer.wgsl prepended.

override WG: u32 = 64u;

const ZETA = 1.1;
const GAMMA = -0.1;

struct Params {
  count: u32, K: u32, bits: u32, rowStride: u32,
  lr: f32, beta1: f32, beta2: f32, eps: f32,
  alpha: f32, beta: f32, correction1: f32, correction2: f32,   // 1 - beta1^t, 1 - beta2^t
  gradScale: f32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero: array<f32>;
@group(0) @binding(4) var<storage, read> gradW: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read_write> m1: array<f32>;
@group(0) @binding(7) var<storage, read_write> m2: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  let n = i / p.K;
  let s = scale[n];
  let sig = 1.0 / (1.0 + exp(-v[i]));
  let hRaw = sig * (ZETA - GAMMA) + GAMMA;
  let h = clamp(hRaw, 0.0, 1.0);
  var dhdv = 0.0;
  if (hRaw > 0.0 && hRaw < 1.0) { dhdv = (ZETA - GAMMA) * sig * (1.0 - sig); }
  let q = floor(w[i] / s) + h + zero[n];
  var dwdh = s;
  if (q < 0.0 || q > quant_levels(p.bits)) { dwdh = 0.0; }
  let u = 2.0 * h - 1.0;
  // d/dh (1 - |u|^beta) = -beta |u|^(beta-1) sign(u) * 2
  var dreg = 0.0;
  if (u != 0.0) { dreg = -2.0 * p.beta * pow(abs(u), p.beta - 1.0) * sign(u); }
  let g = (p.gradScale * gradW[i] * dwdh + p.alpha * dreg) * dhdv;
  let a = p.beta1 * m1[i] + (1.0 - p.beta1) * g;
  let b = p.beta2 * m2[i] + (1.0 - p.beta2) * g * g;
  m1[i] = a;
  m2[i] = b;
  v[i] -= p.lr * (a / p.correction1) / (sqrt(b / p.correction2) + p.eps);
}
