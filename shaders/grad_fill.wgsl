// Backward passes: out[i] = value over `count` elements (zero gradients, before scattering into
// part of a tensor: Slice, Split, Pad, Gather).

override WG: u32 = 64u;

struct Params { count: u32, rowStride: u32, value: f32, _p0: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  out[i] = p.value;
}
