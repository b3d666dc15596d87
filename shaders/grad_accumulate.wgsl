// Backward passes: acc[i] += scale * g[i], where a value read by several nodes (a residual
// stream) sums the gradients that come back from each reader.

override WG: u32 = 64u;

struct Params { count: u32, rowStride: u32, scale: f32, _p0: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> acc: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  acc[i] += p.scale * g[i];
}
