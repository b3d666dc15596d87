// Row-wise kernels over the last axis: one workgroup per row, a tree reduction in workgroup memory.
// MODE 0: softmax. MODE 1: layer normalisation with optional gamma/beta. MODE 2..4: reduce
// (mean, sum, max) to one value per row.

override MODE: u32 = 0u;
override WG: u32 = 64u;
override HAS_AFFINE: bool = false;

struct Params {
  rows: u32, len: u32, offIn: u32, rowStride: u32,
  epsilon: f32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, WG>;

fn reduce_sum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let r = partial[0];
  workgroupBarrier();
  return r;
}

fn reduce_max(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] = max(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  let r = partial[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * p.rowStride;
  if (row >= p.rows) { return; }  // uniform per workgroup, so barriers stay uniform
  let base = p.offIn + row * p.len;
  let outBase = row * p.len;

  if (MODE == 0u) {
    var m = -3.4028e38;
    for (var j = lid; j < p.len; j += WG) { m = max(m, x[base + j]); }
    m = reduce_max(m, lid);
    var s = 0.0;
    for (var j = lid; j < p.len; j += WG) { s += exp(x[base + j] - m); }
    s = reduce_sum(s, lid);
    for (var j = lid; j < p.len; j += WG) { y[outBase + j] = exp(x[base + j] - m) / s; }
  } else if (MODE == 1u) {
    var s = 0.0;
    for (var j = lid; j < p.len; j += WG) { s += x[base + j]; }
    let mean = reduce_sum(s, lid) / f32(p.len);
    var v = 0.0;
    for (var j = lid; j < p.len; j += WG) { let d = x[base + j] - mean; v += d * d; }
    let inv = inverseSqrt(reduce_sum(v, lid) / f32(p.len) + p.epsilon);
    for (var j = lid; j < p.len; j += WG) {
      var o = (x[base + j] - mean) * inv;
      if (HAS_AFFINE) { o = o * gamma[j] + beta[j]; }
      y[outBase + j] = o;
    }
  } else {
    var acc = select(0.0, -3.4028e38, MODE == 4u);
    for (var j = lid; j < p.len; j += WG) {
      if (MODE == 4u) { acc = max(acc, x[base + j]); } else { acc += x[base + j]; }
    }
    var r = 0.0;
    if (MODE == 4u) { r = reduce_max(acc, lid); } else { r = reduce_sum(acc, lid); }
    if (lid == 0u) { y[row] = select(r, r / f32(p.len), MODE == 2u); }
  }
}
