// out[i] = x[map(i)] where each output coordinate o_d maps to an input coordinate o_d - begin_d,
// brought back inside [0, n_d) by MODE: 0 constant (outside → VALUE), 1 edge (clamp), 2 reflect
// (mirror without repeating the edge), 3 wrap (modulo: Tile). Raw 32-bit words, so f32 and i32 alike.

override MODE: u32 = 0u;
override WG: u32 = 64u;

struct Params {
  count: u32, rank: u32, offIn: u32, value: u32,   // value: the padding word (f32 or i32 bits)
  rowStride: u32, _p0: u32, _p1: u32, _p2: u32,
  outDims: array<vec4<u32>, 2>,
  inDims: array<vec4<u32>, 2>,
  begin: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn atu(v: array<vec4<u32>, 2>, i: u32) -> u32 { return v[i / 4u][i % 4u]; }
fn ati(v: array<vec4<i32>, 2>, i: u32) -> i32 { return v[i / 4u][i % 4u]; }

// The input coordinate for output coordinate o on one axis, or -1 for "outside" (constant mode).
fn source(o: u32, n: i32, begin: i32) -> i32 {
  let i = i32(o) - begin;
  if (i >= 0 && i < n) { return i; }
  switch (MODE) {
    case 1u: { return clamp(i, 0, n - 1); }
    case 2u: {
      let period = max(2 * (n - 1), 1);
      let r = ((i % period) + period) % period;
      return select(period - r, r, r < n);
    }
    case 3u: { return ((i % n) + n) % n; }
    default: { return -1; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  var rest = i;
  var offset = 0u;
  var inStride = 1u;
  var inside = true;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let n = atu(p.inDims, u32(d));
    let o = rest % atu(p.outDims, u32(d));
    rest = rest / atu(p.outDims, u32(d));
    let s = source(o, i32(n), ati(p.begin, u32(d)));
    if (s < 0) { inside = false; }
    offset += u32(max(s, 0)) * inStride;
    inStride *= n;
  }
  out[i] = select(p.value, x[p.offIn + offset], inside);
}
