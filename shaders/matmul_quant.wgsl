// Fused fake-quant matmul: Y = Qa(X) (M x K) · Qw(W)ᵀ (+ bias), for any M, N, K.
// Both quantizers run inside the tile loads, so nothing is quantized in a separate pass:
//   Qa: per tensor, asymmetric, fake_quantize() as X enters workgroup memory;
//   Qw: per output channel n, asymmetric, nearest rounding, or learned rounding
//       W~ = s (clamp(floor(W/s) + h + z, 0, 2^k - 1) - z) with h in [0, 1] per weight (AdaRound).
// W is N x K (Linear) when W_NXK, else K x N (ONNX MatMul initializer); h has W's layout.
// Tiles are stored as vec4 (A along k, B along n) so the inner product is the one of
// matmul_vec4.wgsl; each invocation computes a 4 x 4 block of Y. Compiled with quantizer.wgsl prepended.

override WG_X: u32 = 8;      // invocations along N; the tile is 4 * WG_X columns
override WG_Y: u32 = 8;      // invocations along M; the tile is 4 * WG_Y rows
override TILE_K: u32 = 32;   // a multiple of 4
override W_NXK: bool = true;
override QUANT_A: bool = true;
override QUANT_W: bool = true;
override LEARNED: bool = false;
override HAS_BIAS: bool = false;

struct Params {
  M: u32, N: u32, K: u32, wBits: u32,
  aBits: u32, aScale: f32, aZero: f32, _p0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read> wScale: array<f32>;
@group(0) @binding(4) var<storage, read> wZero: array<f32>;
@group(0) @binding(5) var<storage, read> offsets: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read_write> Y: array<f32>;

override TILE_M: u32 = 4u * WG_Y;
override TILE_N: u32 = 4u * WG_X;
var<workgroup> tileA: array<vec4<f32>, TILE_M * TILE_K / 4u>;   // [m][k / 4]
var<workgroup> tileB: array<vec4<f32>, TILE_K * TILE_N / 4u>;   // [k][n / 4]
var<workgroup> colScale: array<f32, TILE_N>;
var<workgroup> colZero: array<f32, TILE_N>;

fn load_x(m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  let v = X[m * p.K + k];
  if (QUANT_A) { return fake_quantize(v, p.aScale, p.aZero, p.aBits); }
  return v;
}

// Column c of the tile is output channel col0 + c.
fn load_w(n: u32, k: u32, c: u32) -> f32 {
  if (n >= p.N || k >= p.K) { return 0.0; }
  var i = k * p.N + n;
  if (W_NXK) { i = n * p.K + k; }
  let v = W[i];
  if (!QUANT_W) { return v; }
  let s = colScale[c];
  let z = colZero[c];
  if (LEARNED) {
    let q = clamp(floor(v / s) + offsets[i] + z, 0.0, quant_levels(p.wBits));
    return dequantize(q, s, z);
  }
  return fake_quantize(v, s, z, p.wBits);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * TILE_M;
  let col0 = wg.x * TILE_N;
  let threads = WG_X * WG_Y;
  let kTile4 = TILE_K / 4u;
  let nTile4 = TILE_N / 4u;

  if (QUANT_W) {
    for (var c = li; c < TILE_N; c += threads) {
      let n = min(col0 + c, p.N - 1u);
      colScale[c] = wScale[n];
      colZero[c] = wZero[n];
    }
    workgroupBarrier();
  }

  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }

  for (var k0 = 0u; k0 < p.K; k0 += TILE_K) {
    for (var e = li; e < TILE_M * kTile4; e += threads) {
      let m = row0 + e / kTile4;
      let k = k0 + 4u * (e % kTile4);
      tileA[e] = vec4<f32>(load_x(m, k), load_x(m, k + 1u), load_x(m, k + 2u), load_x(m, k + 3u));
    }
    for (var e = li; e < TILE_K * nTile4; e += threads) {
      // Neighbouring invocations read neighbouring addresses: along k for N x K, along n for K x N.
      var r = e / nTile4;
      var c4 = e % nTile4;
      if (W_NXK) {
        r = e % TILE_K;
        c4 = e / TILE_K;
      }
      let k = k0 + r;
      let c = 4u * c4;
      let n = col0 + c;
      tileB[r * nTile4 + c4] = vec4<f32>(load_w(n, k, c), load_w(n + 1u, k, c + 1u),
                                         load_w(n + 2u, k, c + 2u), load_w(n + 3u, k, c + 3u));
    }
    workgroupBarrier();

    for (var kk = 0u; kk < kTile4; kk++) {
      let b0 = tileB[(kk * 4u + 0u) * nTile4 + lid.x];
      let b1 = tileB[(kk * 4u + 1u) * nTile4 + lid.x];
      let b2 = tileB[(kk * 4u + 2u) * nTile4 + lid.x];
      let b3 = tileB[(kk * 4u + 3u) * nTile4 + lid.x];
      for (var i = 0u; i < 4u; i++) {
        let a = tileA[(lid.y * 4u + i) * kTile4 + kk];
        acc[i] += a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3;
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let m = row0 + lid.y * 4u + i;
    if (m >= p.M) { return; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + lid.x * 4u + j;
      if (n < p.N) {
        var v = acc[i][j];
        if (HAS_BIAS) { v += bias[n]; }
        Y[m * p.N + n] = v;
      }
    }
  }
}
