// Elementwise ops over f32 with numpy broadcasting: out[i] = f(a[ia], b[ib]), where ia and ib
// come from i through per-input strides (0 on broadcast dims). Rank up to 8.
// OP selects the function; unary ops ignore b. Compiled with shaders/math.wgsl prepended.

override OP: u32 = 0u;
override WG: u32 = 64u;
// Both inputs are suffixes of the output's shape (same shape, a bias over the last dims, or a
// scalar): then input index = i mod length, and the per-dimension walk is skipped.
override SUFFIX: bool = false;

const ADD = 0u; const SUB = 1u; const MUL = 2u; const DIV = 3u; const POW = 4u;
const MAX = 5u; const MIN = 6u; const FMOD = 7u;
const SQRT = 20u; const ERF = 21u; const TANH = 22u; const EXP = 23u; const LOG = 24u;
const NEG = 25u; const ABS = 26u; const RECIP = 27u; const RELU = 28u; const SIGMOID = 29u;
const GELU = 30u; const GELU_TANH = 31u; const FLOOR = 32u; const CEIL = 33u; const ROUND = 34u;
const SIN = 35u; const COS = 36u; const CLIP = 37u; const AFFINE = 38u; const COPY = 39u;
const SIGN = 40u; const SOFTPLUS = 41u; const LEAKY_RELU = 42u; const HARD_SIGMOID = 43u; const HARD_SWISH = 44u;

struct Params {
  count: u32, rank: u32, offA: u32, offB: u32,
  offOut: u32, rowStride: u32, alpha: f32, beta: f32,   // Clip bounds, y = alpha x + beta, LeakyRelu/HardSigmoid's alpha, beta
  lenA: u32, lenB: u32, _p0: u32, _p1: u32,
  dims: array<vec4<u32>, 2>,
  stridesA: array<vec4<u32>, 2>,
  stridesB: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn at(v: array<vec4<u32>, 2>, i: u32) -> u32 { return v[i / 4u][i % 4u]; }

fn apply(x: f32, y: f32) -> f32 {
  switch (OP) {
    case ADD: { return x + y; }
    case SUB: { return x - y; }
    case MUL: { return x * y; }
    case DIV: { return x / y; }
    case POW: { return pow_f32(x, y); }
    case MAX: { return max(x, y); }
    case MIN: { return min(x, y); }
    case FMOD: { return x - y * trunc(x / y); }
    case SQRT: { return sqrt(x); }
    case ERF: { return erf_f32(x); }
    case TANH: { return tanh_f32(x); }
    case EXP: { return exp(x); }
    case LOG: { return log(x); }
    case NEG: { return -x; }
    case ABS: { return abs(x); }
    case RECIP: { return 1.0 / x; }
    case RELU: { return max(x, 0.0); }
    case SIGMOID: { return 1.0 / (1.0 + exp(-x)); }
    case GELU: { return 0.5 * x * (1.0 + erf_f32(x * 0.70710678118654752)); }
    case GELU_TANH: { return 0.5 * x * (1.0 + tanh_f32(0.7978845608028654 * (x + 0.044715 * x * x * x))); }
    case FLOOR: { return floor(x); }
    case CEIL: { return ceil(x); }
    case ROUND: { return round(x); }
    case SIN: { return sin(x); }
    case COS: { return cos(x); }
    case CLIP: { return clamp(x, p.alpha, p.beta); }
    case AFFINE: { return p.alpha * x + p.beta; }
    case SIGN: { return sign(x); }
    case SOFTPLUS: { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }
    case LEAKY_RELU: { return select(p.alpha * x, x, x >= 0.0); }
    case HARD_SIGMOID: { return clamp(p.alpha * x + p.beta, 0.0, 1.0); }
    case HARD_SWISH: { return x * clamp(x / 6.0 + 0.5, 0.0, 1.0); }
    default: { return x; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  var ia = p.offA;
  var ib = p.offB;
  if (SUFFIX) {
    ia += i % p.lenA;
    ib += i % p.lenB;
    var y = 0.0;
    if (OP < SQRT) { y = b[ib]; }
    out[p.offOut + i] = apply(a[ia], y);
    return;
  }
  var rest = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let n = at(p.dims, u32(d));
    let idx = rest % n;
    rest = rest / n;
    ia += idx * at(p.stridesA, u32(d));
    ib += idx * at(p.stridesB, u32(d));
  }
  var y = 0.0;
  if (OP < SQRT) { y = b[ib]; }
  out[p.offOut + i] = apply(a[ia], y);
}
