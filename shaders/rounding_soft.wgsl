// Learned rounding (AdaRound, paper eq. 7): the soft-quantized weight
//   W~ = s (clamp(floor(W / s) + h(V) + z, 0, 2^k - 1) - z),  h(V) = clip(sigmoid(V)(zeta - gamma) + gamma, 0, 1)
// for W stored N x K with per-row (output channel) scale s and zero point z.
// Compiled with shaders/quantizer.wgsl prepended (for quant_levels).

override WG: u32 = 64u;
override HARD: bool = false;   // final rounding: h = 1 where V >= 0, else 0

const ZETA = 1.1;
const GAMMA = -0.1;

struct Params { count: u32, K: u32, bits: u32, rowStride: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<storage, read_write> wq: array<f32>;

fn rectified_sigmoid(x: f32) -> f32 {
  return clamp((1.0 / (1.0 + exp(-x))) * (ZETA - GAMMA) + GAMMA, 0.0, 1.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  let n = i / p.K;
  let s = scale[n];
  var h = rectified_sigmoid(v[i]);
  if (HARD) { h = select(0.0, 1.0, v[i] >= 0.0); }
  let q = clamp(floor(w[i] / s) + h + zero[n], 0.0, quant_levels(p.bits));
  wq[i] = s * (q - zero[n]);
}
