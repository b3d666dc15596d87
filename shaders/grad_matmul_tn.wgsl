// Backward of a matrix product: C[b] = A[b]^T B[b] (K x N), with A[b] R x K and B[b] R x N, all
// row-major. It gives dW = x^T g for a weight (the rows R of every image folded together) and
// dB = A^T g for the second operand of a batched product (attention's K and V). A batch stride of
// 0 shares the operand across the batch. Each invocation accumulates a 4 x 4 block; a workgroup
// covers TILE x TILE outputs, stepping through the rows TILE_R at a time; ragged edges are
// zero-padded in workgroup memory. Float64 twin: src/grad/ops/matmul.ts.

override WG: u32 = 8u;        // WG x WG invocations
override TILE_R: u32 = 16u;   // rows per step
override TILE: u32 = 4u * WG;

struct Params { R: u32, K: u32, N: u32, _p0: u32, batchA: u32, batchB: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

var<workgroup> tileA: array<f32, TILE_R * TILE>;
var<workgroup> tileB: array<f32, TILE_R * TILE>;

@compute @workgroup_size(WG, WG, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let k0 = wg.y * TILE;
  let n0 = wg.x * TILE;
  let aBase = wg.z * p.batchA;
  let bBase = wg.z * p.batchB;
  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }

  for (var r0 = 0u; r0 < p.R; r0 += TILE_R) {
    for (var e = li; e < TILE_R * TILE; e += WG * WG) {
      let r = r0 + e / TILE;
      let col = e % TILE;
      var av = 0.0;
      if (r < p.R && k0 + col < p.K) { av = a[aBase + r * p.K + k0 + col]; }
      tileA[e] = av;
      var bv = 0.0;
      if (r < p.R && n0 + col < p.N) { bv = b[bBase + r * p.N + n0 + col]; }
      tileB[e] = bv;
    }
    workgroupBarrier();
    for (var rr = 0u; rr < TILE_R; rr++) {
      let bo = rr * TILE + lid.x * 4u;
      let bs = vec4<f32>(tileB[bo], tileB[bo + 1u], tileB[bo + 2u], tileB[bo + 3u]);
      for (var i = 0u; i < 4u; i++) { acc[i] += tileA[rr * TILE + lid.y * 4u + i] * bs; }
    }
    workgroupBarrier();
  }

  let cBase = wg.z * p.K * p.N;
  for (var i = 0u; i < 4u; i++) {
    let k = k0 + lid.y * 4u + i;
    if (k >= p.K) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x * 4u + j;
      if (n < p.N) { c[cBase + k * p.N + n] = acc[i][j]; }
    }
  }
}
