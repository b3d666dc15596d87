// The squared-error loss scale * sum (y - t)^2 of a region's output against a target, and its
// gradient, the seed of a backward pass. MODE 0: g[i] = 2 scale (y[i] - t[i]), one invocation per
// element. MODE 1: out[slot] (+)= scale * sum (y - t)^2 in one workgroup (ACCUMULATE adds to what
// is there), recorded only on the steps whose loss is kept. Float64 twin: src/grad/losses/mse.ts.

override MODE: u32 = 0u;
override WG: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params { count: u32, rowStride: u32, slot: u32, _p0: u32, scale: f32, _p1: f32, _p2: f32, _p3: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  if (MODE == 0u) {
    let i = gid.x + gid.y * p.rowStride;
    if (i < p.count) { out[i] = 2.0 * p.scale * (y[i] - t[i]); }
    return;
  }
  var s = 0.0;
  for (var i = lid; i < p.count; i += WG) {
    let d = y[i] - t[i];
    s += d * d;
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (lid < h) { partial[lid] += partial[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    var total = p.scale * partial[0];
    if (ACCUMULATE) { total += out[p.slot]; }
    out[p.slot] = total;
  }
}
