// Backward of the row kernels (shaders/rows.wgsl) over the last axis, one workgroup per row with
// a tree reduction in workgroup memory. Float64 twin: src/grad/ops/rows.ts.
// MODE 0, softmax:    v = y = softmax(x);     dx = y (g - sum_k g_k y_k)
// MODE 1, layer norm: v = x, gamma (HAS_GAMMA); with xh = (x - mean) r, r = 1 / sqrt(var + eps),
//                     gh = g gamma:            dx = r (gh - mean(gh) - xh mean(gh xh))

override MODE: u32 = 0u;
override WG: u32 = 64u;
override HAS_GAMMA: bool = false;

struct Params {
  rows: u32, len: u32, offV: u32, rowStride: u32,
  epsilon: f32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

var<workgroup> partial: array<f32, WG>;

fn reduce_sum(value: f32, lid: u32) -> f32 {
  partial[lid] = value;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let r = partial[0];
  workgroupBarrier();
  return r;
}

fn scaled_grad(j: u32, gBase: u32) -> f32 {
  if (HAS_GAMMA) { return g[gBase + j] * gamma[j]; }
  return g[gBase + j];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * p.rowStride;
  if (row >= p.rows) { return; }  // uniform per workgroup, so barriers stay uniform
  let base = p.offV + row * p.len;
  let gBase = row * p.len;
  let n = f32(p.len);

  if (MODE == 0u) {
    var dot = 0.0;
    for (var j = lid; j < p.len; j += WG) { dot += g[gBase + j] * v[base + j]; }
    dot = reduce_sum(dot, lid);
    for (var j = lid; j < p.len; j += WG) { dx[gBase + j] = v[base + j] * (g[gBase + j] - dot); }
  } else {
    var s = 0.0;
    for (var j = lid; j < p.len; j += WG) { s += v[base + j]; }
    let mean = reduce_sum(s, lid) / n;
    var q = 0.0;
    for (var j = lid; j < p.len; j += WG) { let d = v[base + j] - mean; q += d * d; }
    let r = inverseSqrt(reduce_sum(q, lid) / n + p.epsilon);
    var sg = 0.0;
    var sgx = 0.0;
    for (var j = lid; j < p.len; j += WG) {
      let gh = scaled_grad(j, gBase);
      sg += gh;
      sgx += gh * (v[base + j] - mean) * r;
    }
    let meanG = reduce_sum(sg, lid) / n;
    let meanGX = reduce_sum(sgx, lid) / n;
    for (var j = lid; j < p.len; j += WG) {
      let xh = (v[base + j] - mean) * r;
      dx[gBase + j] = r * (scaled_grad(j, gBase) - meanG - xh * meanGX);
    }
  }
}
