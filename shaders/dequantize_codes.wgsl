// A weight rebuilt from its integer codes, per output channel: W~ = s (q - z), every run, so a
// simulated model holds 8-bit codes on the GPU instead of a float copy of each quantized weight.
// Codes are bytes, four to a u32 word, the first in the low byte. W~ is N x K when W_NXK, else
// K x N; the channel is n in both. Compiled with shaders/quantizer.wgsl prepended, whose
// dequantize the CPU twin (src/quant/simulation/dequantize-weight-op.ts) mirrors.

override WG: u32 = 64u;
override W_NXK: bool = true;

struct Params { count: u32, K: u32, N: u32, rowStride: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> codes: array<u32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero: array<f32>;
@group(0) @binding(4) var<storage, read_write> w: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  var n = i % p.N;
  if (W_NXK) { n = i / p.K; }
  let q = (codes[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
  w[i] = dequantize(f32(q), scale[n], zero[n]);
}
