// Backward of unary elementwise ops: dx[i] = g[i] * f'(x), where `v` holds the forward input x or
// the forward output y, whichever the derivative is cheaper from (SAVES in src/grad/ops/unary.ts).
// Float64 twin: src/grad/ops/unary.ts. Compiled with shaders/math.wgsl prepended.

override OP: u32 = 0u;
override WG: u32 = 64u;

const SQRT = 0u;       // v = y: 1 / (2y)
const ERF = 1u;        // v = x: 2/sqrt(pi) exp(-x^2)
const TANH = 2u;       // v = y: 1 - y^2
const EXP = 3u;        // v = y: y
const LOG = 4u;        // v = x: 1 / x
const NEG = 5u;        // -1
const ABS = 6u;        // v = x: sign(x)
const RECIP = 7u;      // v = y: -y^2
const RELU = 8u;       // v = x: [x > 0]
const SIGMOID = 9u;    // v = y: y (1 - y)
const GELU = 10u;      // v = x: Phi(x) + x phi(x)
const GELU_TANH = 11u; // v = x: the derivative of 0.5 x (1 + tanh(c (x + 0.044715 x^3)))
const CLIP = 12u;      // v = x: [alpha <= x <= beta] (also the straight-through estimator of a quantizer)
const SCALE = 13u;     // alpha (Identity, Cast and Dropout at inference: 1)
const LEAKY_RELU = 14u;// v = x: 1 or alpha
const SOFTPLUS = 15u;  // v = x: sigmoid(x)

struct Params { count: u32, rowStride: u32, offV: u32, _p0: u32, alpha: f32, beta: f32, _p1: f32, _p2: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

const GELU_C: f32 = 0.7978845608028654;   // sqrt(2 / pi)
const INV_SQRT_2PI: f32 = 0.3989422804014327;
const TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;

fn derivative(x: f32) -> f32 {
  switch (OP) {
    case SQRT: { return 0.5 / x; }
    case ERF: { return TWO_OVER_SQRT_PI * exp(-x * x); }
    case TANH: { return 1.0 - x * x; }
    case EXP: { return x; }
    case LOG: { return 1.0 / x; }
    case NEG: { return -1.0; }
    case ABS: { return sign(x); }
    case RECIP: { return -x * x; }
    case RELU: { return select(0.0, 1.0, x > 0.0); }
    case SIGMOID: { return x * (1.0 - x); }
    case GELU: { return 0.5 * (1.0 + erf_f32(x * 0.70710678118654752)) + x * INV_SQRT_2PI * exp(-0.5 * x * x); }
    case GELU_TANH: {
      let t = tanh_f32(GELU_C * (x + 0.044715 * x * x * x));
      return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * 0.044715 * x * x);
    }
    case CLIP: { return select(0.0, 1.0, x >= p.alpha && x <= p.beta); }
    case SCALE: { return p.alpha; }
    case LEAKY_RELU: { return select(p.alpha, 1.0, x >= 0.0); }
    case SOFTPLUS: { return 1.0 / (1.0 + exp(-x)); }
    default: { return 0.0; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  dx[i] = g[i] * derivative(v[p.offV + i]);
}
