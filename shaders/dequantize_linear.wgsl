// ONNX DequantizeLinear, per tensor: y = s (q - z), q held as i32.
// Compiled with shaders/quantizer.wgsl prepended.

override WG: u32 = 64u;

struct Params {
  count: u32, offIn: u32, rowStride: u32, _p0: u32,
  scale: f32, zeroPoint: f32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  y[i] = dequantize(f32(q[p.offIn + i]), p.scale, p.zeroPoint);
}
