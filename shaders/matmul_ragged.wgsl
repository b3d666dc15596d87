// C[b] = A[b] (M x K) * B[b] (K x N, or N x K when TRANS_B) + bias (N), in f32, for any M, N, K:
// attention's products over 65 or 197 tokens have K or N odd, so rows are not vec4-aligned in
// memory. Loads are scalar (bounds-checked, zero-padded) but land in vec4 tiles, and the inner
// product is matmul_vec4.wgsl's multiply-add form for both B layouts (no dot(), which costs a
// horizontal sum per output): each invocation computes a 4 x 4 block of C.

override WG_X: u32 = 8;      // invocations along N; the tile is 4 * WG_X columns
override WG_Y: u32 = 8;      // invocations along M; the tile is 4 * WG_Y rows
override TILE_K: u32 = 32;   // depth of a tile, a multiple of 4
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
// A tile: TILE_M rows of TILE_K/4 vec4 (along k). B tile: TILE_K rows of TILE_N/4 vec4 (along n).
var<workgroup> tileA: array<vec4<f32>, TILE_M * TILE_K / 4u>;
var<workgroup> tileB: array<vec4<f32>, TILE_N * TILE_K / 4u>;

// Four consecutive values of a row from `base`; with fewer than 4 `left` in the row, the rest read as 0.
fn loadA4(base: u32, left: u32) -> vec4<f32> {
  if (left >= 4u) { return vec4<f32>(A[base], A[base + 1u], A[base + 2u], A[base + 3u]); }
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < left; j++) { v[j] = A[base + j]; }
  return v;
}

fn loadB4(base: u32, left: u32) -> vec4<f32> {
  if (left >= 4u) { return vec4<f32>(B[base], B[base + 1u], B[base + 2u], B[base + 3u]); }
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < left; j++) { v[j] = B[base + j]; }
  return v;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let aBase = wg.z * p.strideA;
  let bBase = wg.z * p.strideB;
  let cBase = wg.z * p.strideC;
  let row0 = wg.y * TILE_M;
  let col0 = wg.x * TILE_N;
  let threads = WG_X * WG_Y;
  let kTile4 = TILE_K / 4u;
  let n4Tile = TILE_N / 4u;

  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }

  for (var k0 = 0u; k0 < p.K; k0 += TILE_K) {
    for (var e = li; e < TILE_M * kTile4; e += threads) {
      let gr = row0 + e / kTile4;
      let gk = k0 + 4u * (e % kTile4);
      var v = vec4<f32>(0.0);
      if (gr < p.M && gk < p.K) {
        v = loadA4(aBase + gr * p.K + gk, p.K - gk);
        if (QUANT_A) {
          v = vec4<f32>(fake_quantize(v.x, p.aScale, p.aZero, p.aBits), fake_quantize(v.y, p.aScale, p.aZero, p.aBits),
                        fake_quantize(v.z, p.aScale, p.aZero, p.aBits), fake_quantize(v.w, p.aScale, p.aZero, p.aBits));
          // Padding past K must stay 0 (fake_quantize(0) need not be 0).
          for (var j = p.K - gk; j < 4u; j++) { v[j] = 0.0; }
        }
      }
      tileA[e] = v;
    }
    // B's tile is [k][n / 4] either way; with TRANS_B (B is N x K) the four n of a vec4 come from
    // four rows, so the product below is the same multiply-add for both layouts.
    for (var e = li; e < TILE_K * n4Tile; e += threads) {
      let gk = k0 + e / n4Tile;
      let gn = col0 + 4u * (e % n4Tile);
      var v = vec4<f32>(0.0);
      if (gk < p.K && gn < p.N) {
        if (TRANS_B) {
          for (var j = 0u; j < min(4u, p.N - gn); j++) { v[j] = B[bBase + (gn + j) * p.K + gk]; }
        } else {
          v = loadB4(bBase + gk * p.N + gn, p.N - gn);
        }
      }
      tileB[e] = v;
    }
    workgroupBarrier();

    for (var kk = 0u; kk < kTile4; kk++) {
      var a: array<vec4<f32>, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = tileA[(lid.y * 4u + i) * kTile4 + kk]; }
      let b0 = tileB[(kk * 4u + 0u) * n4Tile + lid.x];
      let b1 = tileB[(kk * 4u + 1u) * n4Tile + lid.x];
      let b2 = tileB[(kk * 4u + 2u) * n4Tile + lid.x];
      let b3 = tileB[(kk * 4u + 3u) * n4Tile + lid.x];
      for (var i = 0u; i < 4u; i++) {
        acc[i] += a[i].x * b0 + a[i].y * b1 + a[i].z * b2 + a[i].w * b3;
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
