// Comparisons, boolean logic, Where and Cast with numpy broadcasting (rank up to 8). Values are
// read as raw 32-bit words and interpreted per IN_INT (i32, or f32); bools are i32 0/1.
// Binary ops read a and b; Not and the casts read a; Where reads c ? a : b.

override OP: u32 = 0u;
override IN_INT: bool = false;
override WG: u32 = 64u;

const EQUAL = 0u; const LESS = 1u; const LESS_EQ = 2u; const GREATER = 3u; const GREATER_EQ = 4u;
const AND = 5u; const OR = 6u; const XOR = 7u; const NOT = 8u; const WHERE = 9u;
const TO_F32 = 10u; const TO_I32 = 11u; const TO_BOOL = 12u;

struct Params {
  count: u32, rank: u32, offA: u32, offB: u32,
  offC: u32, offOut: u32, rowStride: u32, _p0: u32,
  dims: array<vec4<u32>, 2>,
  stridesA: array<vec4<u32>, 2>,
  stridesB: array<vec4<u32>, 2>,
  stridesC: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read> c: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

fn at(v: array<vec4<u32>, 2>, i: u32) -> u32 { return v[i / 4u][i % 4u]; }

fn bool_word(v: bool) -> u32 { return select(0u, 1u, v); }

// Integers are compared as integers (exact past 2^24), floats as floats.
fn compare(x: u32, y: u32) -> bool {
  if (IN_INT) {
    let l = bitcast<i32>(x);
    let r = bitcast<i32>(y);
    switch (OP) {
      case LESS: { return l < r; }
      case LESS_EQ: { return l <= r; }
      case GREATER: { return l > r; }
      case GREATER_EQ: { return l >= r; }
      default: { return l == r; }
    }
  }
  let l = bitcast<f32>(x);
  let r = bitcast<f32>(y);
  switch (OP) {
    case LESS: { return l < r; }
    case LESS_EQ: { return l <= r; }
    case GREATER: { return l > r; }
    case GREATER_EQ: { return l >= r; }
    default: { return l == r; }
  }
}

fn is_nonzero(x: u32) -> bool {
  if (IN_INT) { return x != 0u; }
  return bitcast<f32>(x) != 0.0;
}

fn apply(x: u32, y: u32, cond: u32) -> u32 {
  switch (OP) {
    case AND: { return bool_word(is_nonzero(x) && is_nonzero(y)); }
    case OR: { return bool_word(is_nonzero(x) || is_nonzero(y)); }
    case XOR: { return bool_word(is_nonzero(x) != is_nonzero(y)); }
    case NOT: { return bool_word(!is_nonzero(x)); }
    case WHERE: { return select(y, x, cond != 0u); }
    case TO_F32: {
      if (IN_INT) { return bitcast<u32>(f32(bitcast<i32>(x))); }
      return x;
    }
    case TO_I32: {
      if (IN_INT) { return x; }
      // NaN becomes 0 as in the reference (tested on the bits: compilers may assume no NaN);
      // out-of-range values clamp, where the reference wraps.
      let nan = (x & 0x7f800000u) == 0x7f800000u && (x & 0x007fffffu) != 0u;
      return bitcast<u32>(select(i32(trunc(bitcast<f32>(x))), 0, nan));
    }
    case TO_BOOL: { return bool_word(is_nonzero(x)); }
    default: { return bool_word(compare(x, y)); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  var ia = p.offA;
  var ib = p.offB;
  var ic = p.offC;
  var rest = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let n = at(p.dims, u32(d));
    let idx = rest % n;
    rest = rest / n;
    ia += idx * at(p.stridesA, u32(d));
    ib += idx * at(p.stridesB, u32(d));
    ic += idx * at(p.stridesC, u32(d));
  }
  out[p.offOut + i] = apply(a[ia], b[ib], c[ic]);
}
