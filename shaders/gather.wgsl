// Gather along one axis with an index tensor: data viewed as [outer, axisLen, inner],
// out as [outer, indexCount, inner]. Negative indices count from the end.

override WG: u32 = 64u;

struct Params {
  count: u32, axisLen: u32, inner: u32, indexCount: u32,
  offData: u32, rowStride: u32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> data: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  let n = i % p.inner;
  let k = (i / p.inner) % p.indexCount;
  let o = i / (p.inner * p.indexCount);
  var idx = indices[k];
  if (idx < 0) { idx += i32(p.axisLen); }
  out[i] = data[p.offData + (o * p.axisLen + u32(idx)) * p.inner + n];
}
