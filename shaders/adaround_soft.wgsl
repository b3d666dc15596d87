// AdaRound: the quantized weight W~ = s (clamp(floor(W/s) + h(V) + z, 0, 2^k - 1) - z), N x K,
// per output channel (row) scale s and zero point z. HARD: h = 1 where V >= 0, else 0.
// Compiled as quantizer.wgsl + adaround_common.wgsl + this file.

override WG: u32 = 64u;
override HARD: bool = false;

struct Params { count: u32, K: u32, bits: u32, rowStride: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> base: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<storage, read_write> wq: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  let n = i / p.K;
  var h = adaround_h(v[i]);
  if (HARD) { h = select(0.0, 1.0, v[i] >= 0.0); }
  wq[i] = adaround_weight(base[i], h, scale[n], zero[n], p.bits);
}
