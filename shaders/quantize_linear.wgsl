// ONNX QuantizeLinear, per tensor: q = clamp(round(x / s) + z, lo, hi), stored as i32.
// Compiled with shaders/quantizer.wgsl prepended; a signed type shifts the zero point by lo so
// the unsigned quantizer's [0, 2^bits - 1] clamp lands on [lo, hi].

override WG: u32 = 64u;

struct Params {
  count: u32, bits: u32, offIn: u32, rowStride: u32,
  scale: f32, zeroPoint: f32, lo: f32, _p0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> q: array<i32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  q[i] = i32(quantize(x[p.offIn + i], p.scale, p.zeroPoint - p.lo, p.bits) + p.lo);
}
