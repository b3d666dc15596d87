// Weight fake quantization per output channel, run once per layer (weights are constant):
//   nearest:  W~ = s (clamp(round(W/s) + z, 0, 2^k - 1) - z)
//   learned:  W~ = s (clamp(floor(W/s) + h + z, 0, 2^k - 1) - z), h in [0, 1] per weight (AdaRound).
// W (and h, and W~) are N x K when W_NXK, else K x N; the channel is n in both.
// Compiled with shaders/quantizer.wgsl prepended; the same arithmetic as matmul_quant.wgsl.

override WG: u32 = 64u;
override LEARNED: bool = false;
override W_NXK: bool = true;

struct Params { count: u32, K: u32, N: u32, bits: u32, rowStride: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero: array<f32>;
@group(0) @binding(4) var<storage, read> offsets: array<f32>;
@group(0) @binding(5) var<storage, read_write> wq: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  var n = i % p.N;
  if (W_NXK) { n = i / p.K; }
  if (LEARNED) {
    let q = clamp(floor(w[i] / scale[n]) + offsets[i] + zero[n], 0.0, quant_levels(p.bits));
    wq[i] = dequantize(q, scale[n], zero[n]);
  } else {
    wq[i] = fake_quantize(w[i], scale[n], zero[n], p.bits);
  }
}
