// Backward of a binary elementwise op z = f(a, b) with numpy broadcasting, for one operand T (a or
// b): dT[t] = sum over the output elements o that read t of g[o] * df/dT(a[ia(o)], b[ib(o)]). Where T
// was broadcast the sum runs over the stretched axes; elsewhere it has one term. One invocation per
// element of T. The index plan (tDims, rDims) comes from broadcastReducePlan in
// src/grad/ops/broadcast.ts, which the float64 twin walks the same way. Expand's backward and
// ReduceSum-like sums use MODE 0 with `a` and `b` unused. Compiled with shaders/math.wgsl prepended.

override MODE: u32 = 0u;
override WG: u32 = 64u;
// T has the output's shape and a, b are suffixes of it (same shape, a bias over the last axes, a
// scalar): then element t reads g[t], a[t mod lenA], b[t mod lenB], with no per-axis walk (which a
// software adapter runs slowly).
override DIRECT: bool = false;

const IDENT = 0u;      // g             (Add, Sub's a, Expand)
const NEG = 1u;        // -g            (Sub's b)
const MUL_B = 2u;      // g * b         (Mul's a)
const MUL_A = 3u;      // g * a         (Mul's b)
const DIV_A = 4u;      // g / b         (Div's a)
const DIV_B = 5u;      // -g a / b^2    (Div's b)
const POW_A = 6u;      // g b a^(b-1)   (Pow's base)
const POW_B = 7u;      // g a^b ln a    (Pow's exponent)

struct Params {
  count: u32, rank: u32, reduceCount: u32, rowStride: u32,
  offA: u32, offB: u32, lenA: u32, lenB: u32,
  tDims: array<vec4<u32>, 2>,      // T's dims aligned to the output's rank (1 where broadcast)
  rDims: array<vec4<u32>, 2>,      // the stretched axes (1 elsewhere)
  outStrides: array<vec4<u32>, 2>,
  aStrides: array<vec4<u32>, 2>,   // a's broadcast strides into the output
  bStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dt: array<f32>;

fn at(v: array<vec4<u32>, 2>, i: u32) -> u32 { return v[i / 4u][i % 4u]; }

// The derivative of a^b in a, for the bases and exponents pow_f32 handles (x^2 in a decomposed LayerNorm).
fn dpow_base(x: f32, y: f32) -> f32 {
  if (y == 2.0) { return 2.0 * x; }
  if (y == 1.0) { return 1.0; }
  return y * pow_f32(x, y - 1.0);
}

fn term(gv: f32, ia: u32, ib: u32) -> f32 {
  switch (MODE) {
    case NEG: { return -gv; }
    case MUL_B: { return gv * b[ib]; }
    case MUL_A: { return gv * a[ia]; }
    case DIV_A: { return gv / b[ib]; }
    case DIV_B: { let bv = b[ib]; return -gv * a[ia] / (bv * bv); }
    case POW_A: { return gv * dpow_base(a[ia], b[ib]); }
    case POW_B: { let av = a[ia]; return gv * pow_f32(av, b[ib]) * log(av); }
    default: { return gv; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * p.rowStride;
  if (t >= p.count) { return; }
  if (DIRECT) {
    dt[t] = term(g[t], p.offA + t % p.lenA, p.offB + t % p.lenB);
    return;
  }
  // T's coordinates, as the output coordinates they fix (0 on stretched axes).
  var tc: array<u32, 8>;
  var rest = t;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let n = at(p.tDims, u32(d));
    tc[d] = rest % n;
    rest = rest / n;
  }
  var sum = 0.0;
  for (var j = 0u; j < p.reduceCount; j++) {
    var r = j;
    var o = 0u;
    var ia = p.offA;
    var ib = p.offB;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
      let n = at(p.rDims, u32(d));
      let c = tc[d] + r % n;
      r = r / n;
      o += c * at(p.outStrides, u32(d));
      ia += c * at(p.aStrides, u32(d));
      ib += c * at(p.bStrides, u32(d));
    }
    sum += term(g[o], ia, ib);
  }
  dt[t] = sum;
}
