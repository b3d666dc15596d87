// AdaRound: one Adam step on the rounding variables V, the gradient taken through the chain rule
// of adaround_grad from gradW = d rec / d W~. m and u are Adam's first and second moments;
// correction1/2 = 1 - beta1^t, 1 - beta2^t for step t (1-based).
// Compiled as quantizer.wgsl + adaround_common.wgsl + this file.

override WG: u32 = 64u;

struct Params {
  count: u32, K: u32, bits: u32, rowStride: u32,
  alpha: f32, beta: f32, lr: f32, eps: f32,
  beta1: f32, beta2: f32, correction1: f32, correction2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> base: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero: array<f32>;
@group(0) @binding(4) var<storage, read> gradW: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read_write> m: array<f32>;
@group(0) @binding(7) var<storage, read_write> u: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  let n = i / p.K;
  let g = adaround_grad(v[i], base[i], scale[n], zero[n], p.bits, gradW[i], p.alpha, p.beta);
  let m1 = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let m2 = p.beta2 * u[i] + (1.0 - p.beta2) * g * g;
  m[i] = m1;
  u[i] = m2;
  v[i] -= p.lr * (m1 / p.correction1) / (sqrt(m2 / p.correction2) + p.eps);
}
