// C[b] = A[b] (M x K) * B[b] (K x N, or N x K when TRANS_B) + bias (N), in f32, for any
// M, N, K. Same tiling as matmul_vec4.wgsl with scalar loads; each invocation computes 4 x 4 outputs.

override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override TILE_K: u32 = 16;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override QUANT_A: bool = false;   // as in matmul_vec4.wgsl

struct Params {
  M: u32, N: u32, K: u32, batch: u32,
  strideA: u32, strideB: u32, strideC: u32, aBits: u32,
  aScale: f32, aZero: f32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

override TILE_M: u32 = 4u * WG_Y;
override TILE_N: u32 = 4u * WG_X;
var<workgroup> tileA: array<f32, TILE_M * TILE_K>;   // [m][k]
var<workgroup> tileB: array<f32, TILE_K * TILE_N>;   // [k][n]

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let aBase = wg.z * p.strideA;
  let bBase = wg.z * p.strideB;
  let cBase = wg.z * p.strideC;
  let row0 = wg.y * TILE_M;
  let col0 = wg.x * TILE_N;
  let threads = WG_X * WG_Y;

  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }

  for (var k0 = 0u; k0 < p.K; k0 += TILE_K) {
    for (var e = li; e < TILE_M * TILE_K; e += threads) {
      let r = e / TILE_K;
      let c = e % TILE_K;
      var v = 0.0;
      if (row0 + r < p.M && k0 + c < p.K) {
        v = A[aBase + (row0 + r) * p.K + k0 + c];
        if (QUANT_A) { v = fake_quantize(v, p.aScale, p.aZero, p.aBits); }
      }
      tileA[e] = v;
    }
    for (var e = li; e < TILE_K * TILE_N; e += threads) {
      let kk = e / TILE_N;
      let n = e % TILE_N;
      let gk = k0 + kk;
      let gn = col0 + n;
      var v = 0.0;
      if (gk < p.K && gn < p.N) {
        if (TRANS_B) { v = B[bBase + gn * p.K + gk]; } else { v = B[bBase + gk * p.N + gn]; }
      }
      tileB[e] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let bo = kk * TILE_N + lid.x * 4u;
      let b = vec4<f32>(tileB[bo], tileB[bo + 1u], tileB[bo + 2u], tileB[bo + 3u]);
      for (var i = 0u; i < 4u; i++) {
        acc[i] += tileA[(lid.y * 4u + i) * TILE_K + kk] * b;
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c < p.N) {
        var v = acc[i][j];
        if (HAS_BIAS) { v += bias[c]; }
        C[cBase + r * p.N + c] = v;
      }
    }
  }
}
