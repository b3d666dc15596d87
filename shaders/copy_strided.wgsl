// out[dstOffset + Σ i_d·dstStride_d] = in[srcOffset + Σ i_d·srcStride_d] over an index space
// of rank up to 8. Bit copies (u32), so it moves f32 and i32 alike. Covers Transpose, Slice
// (negative steps included), Expand, Concat and Split pieces, and Gather with a scalar index.

override WG: u32 = 64u;

struct Params {
  count: u32, rank: u32, srcOffset: i32, dstOffset: i32,
  rowStride: u32, _p0: u32, _p1: u32, _p2: u32,
  dims: array<vec4<u32>, 2>,
  srcStrides: array<vec4<i32>, 2>,
  dstStrides: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  var rest = i;
  var s = p.srcOffset;
  var t = p.dstOffset;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let n = p.dims[d / 4][d % 4];
    let idx = i32(rest % n);
    rest = rest / n;
    s += idx * p.srcStrides[d / 4][d % 4];
    t += idx * p.dstStrides[d / 4][d % 4];
  }
  dst[t] = src[s];
}
