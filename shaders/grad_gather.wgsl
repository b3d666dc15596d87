// Backward of Gather with an index table: data viewed as [outer, axisLen, inner], the gradient g
// as [outer, indexCount, inner]; dData[o, k, n] = sum over j with index[j] = k of g[o, j, n]
// (indices already made non-negative). One invocation per element of dData, looping over the
// indices, so repeated indices sum without atomics. Float64 twin: src/grad/ops/movement.ts.

override WG: u32 = 64u;

struct Params { count: u32, axisLen: u32, inner: u32, indexCount: u32, rowStride: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> dData: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  let n = i % p.inner;
  let k = (i / p.inner) % p.axisLen;
  let o = i / (p.inner * p.axisLen);
  var sum = 0.0;
  for (var j = 0u; j < p.indexCount; j++) {
    if (index[j] == i32(k)) { sum += g[(o * p.indexCount + j) * p.inner + n]; }
  }
  dData[i] = sum;
}
