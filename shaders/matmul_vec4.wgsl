// C[b] = A[b] (M x K) * B[b] (K x N, or N x K when TRANS_B) + bias (N), in f32.
// Tiled and register-blocked: each invocation computes a 4 x 4 block of C, reading
// A, B and C as vec4. Requires K % 4 == 0 and N % 4 == 0 (matmul_ragged.wgsl covers the rest).
// Ragged M, N and K tiles are zero-padded in workgroup memory.

override WG_X: u32 = 8;      // invocations along N; the tile is 4 * WG_X columns
override WG_Y: u32 = 8;      // invocations along M; the tile is 4 * WG_Y rows
override TILE_K: u32 = 32;   // depth of a tile, a multiple of 4
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
// Fake-quantize A per tensor as it is loaded into workgroup memory (activation quantization fused
// into the product; quantizer.wgsl is prepended to this file).
override QUANT_A: bool = false;

struct Params {
  M: u32, N: u32, K: u32, batch: u32,
  strideA: u32, strideB: u32, strideC: u32, aBits: u32,  // per-batch strides in floats; 0 broadcasts
  aScale: f32, aZero: f32, _p0: u32, _p1: u32,           // A's quantizer when QUANT_A
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> C: array<vec4<f32>>;

override TILE_M: u32 = 4u * WG_Y;
override TILE_N: u32 = 4u * WG_X;
// A tile: TILE_M rows of TILE_K/4 vec4. B tile: TILE_K rows of TILE_N/4 vec4 (or TILE_N rows of TILE_K/4).
var<workgroup> tileA: array<vec4<f32>, TILE_M * TILE_K / 4u>;
var<workgroup> tileB: array<vec4<f32>, TILE_N * TILE_K / 4u>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let K4 = p.K / 4u;
  let N4 = p.N / 4u;
  let aBase = wg.z * (p.strideA / 4u);
  let bBase = wg.z * (p.strideB / 4u);
  let cBase = wg.z * (p.strideC / 4u);
  let row0 = wg.y * TILE_M;
  let col0 = wg.x * TILE_N;
  let threads = WG_X * WG_Y;
  let kTile4 = TILE_K / 4u;

  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }

  for (var k0 = 0u; k0 < p.K; k0 += TILE_K) {
    let k04 = k0 / 4u;
    for (var e = li; e < TILE_M * kTile4; e += threads) {
      let r = e / kTile4;
      let c = e % kTile4;
      let gr = row0 + r;
      let gc = k04 + c;
      var v = vec4<f32>(0.0);
      if (gr < p.M && gc < K4) {
        v = A[aBase + gr * K4 + gc];
        if (QUANT_A) {
          v = vec4<f32>(fake_quantize(v.x, p.aScale, p.aZero, p.aBits), fake_quantize(v.y, p.aScale, p.aZero, p.aBits),
                        fake_quantize(v.z, p.aScale, p.aZero, p.aBits), fake_quantize(v.w, p.aScale, p.aZero, p.aBits));
        }
      }
      tileA[e] = v;
    }
    if (TRANS_B) {
      // B is N x K: tile rows are output columns, vec4 along k.
      for (var e = li; e < TILE_N * kTile4; e += threads) {
        let r = e / kTile4;
        let c = e % kTile4;
        let gn = col0 + r;
        let gk = k04 + c;
        var v = vec4<f32>(0.0);
        if (gn < p.N && gk < K4) { v = B[bBase + gn * K4 + gk]; }
        tileB[e] = v;
      }
    } else {
      // B is K x N: tile rows are k, vec4 along n.
      let n4Tile = TILE_N / 4u;
      for (var e = li; e < TILE_K * n4Tile; e += threads) {
        let r = e / n4Tile;
        let c = e % n4Tile;
        let gk = k0 + r;
        let gn = col0 / 4u + c;
        var v = vec4<f32>(0.0);
        if (gk < p.K && gn < N4) { v = B[bBase + gk * N4 + gn]; }
        tileB[e] = v;
      }
    }
    workgroupBarrier();

    for (var kk = 0u; kk < kTile4; kk++) {
      var a: array<vec4<f32>, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = tileA[(lid.y * 4u + i) * kTile4 + kk]; }
      if (TRANS_B) {
        var b: array<vec4<f32>, 4>;
        for (var j = 0u; j < 4u; j++) { b[j] = tileB[(lid.x * 4u + j) * kTile4 + kk]; }
        for (var i = 0u; i < 4u; i++) {
          acc[i] += vec4<f32>(dot(a[i], b[0]), dot(a[i], b[1]), dot(a[i], b[2]), dot(a[i], b[3]));
        }
      } else {
        let n4Tile = TILE_N / 4u;
        let b0 = tileB[(kk * 4u + 0u) * n4Tile + lid.x];
        let b1 = tileB[(kk * 4u + 1u) * n4Tile + lid.x];
        let b2 = tileB[(kk * 4u + 2u) * n4Tile + lid.x];
        let b3 = tileB[(kk * 4u + 3u) * n4Tile + lid.x];
        for (var i = 0u; i < 4u; i++) {
          acc[i] += a[i].x * b0 + a[i].y * b1 + a[i].z * b2 + a[i].w * b3;
        }
      }
    }
    workgroupBarrier();
  }

  let c4 = col0 / 4u + lid.x;
  if (c4 >= N4) { return; }
  var add = vec4<f32>(0.0);
  if (HAS_BIAS) { add = bias[c4]; }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r < p.M) { C[cBase + r * N4 + c4] = acc[i] + add; }
  }
}
