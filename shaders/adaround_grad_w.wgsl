// AdaRound: the reconstruction gradient with respect to the quantized weight,
//   G[n, k] = scale * sum_r (Yq[r, n] - Y[r, n]) X[r, k]        (G = scale * D^T X, N x K)
// with the residual D = Yq - Y formed while loading, Yq and Y R x N, X R x K (all row-major).
// Each invocation accumulates a 4 x 4 block; a workgroup covers TILE x TILE outputs, stepping
// through the rows TILE_R at a time. Ragged edges are zero-padded in workgroup memory.

override WG: u32 = 8u;        // WG x WG invocations
override TILE_R: u32 = 16u;   // rows per step
override TILE: u32 = 4u * WG;

struct Params { rows: u32, N: u32, K: u32, _p0: u32, scale: f32, _p1: f32, _p2: f32, _p3: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> yq: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> g: array<f32>;

var<workgroup> tileD: array<f32, TILE_R * TILE>;
var<workgroup> tileX: array<f32, TILE_R * TILE>;

@compute @workgroup_size(WG, WG, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let n0 = wg.y * TILE;
  let k0 = wg.x * TILE;
  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }

  for (var r0 = 0u; r0 < p.rows; r0 += TILE_R) {
    for (var e = li; e < TILE_R * TILE; e += WG * WG) {
      let r = r0 + e / TILE;
      let c = e % TILE;
      var d = 0.0;
      if (r < p.rows && n0 + c < p.N) { d = yq[r * p.N + n0 + c] - y[r * p.N + n0 + c]; }
      tileD[e] = d;
      var xv = 0.0;
      if (r < p.rows && k0 + c < p.K) { xv = x[r * p.K + k0 + c]; }
      tileX[e] = xv;
    }
    workgroupBarrier();
    for (var rr = 0u; rr < TILE_R; rr++) {
      let xo = rr * TILE + lid.x * 4u;
      let xs = vec4<f32>(tileX[xo], tileX[xo + 1u], tileX[xo + 2u], tileX[xo + 3u]);
      for (var i = 0u; i < 4u; i++) { acc[i] += tileD[rr * TILE + lid.y * 4u + i] * xs; }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let n = n0 + lid.y * 4u + i;
    if (n >= p.N) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let k = k0 + lid.x * 4u + j;
      if (k < p.K) { g[n * p.K + k] = p.scale * acc[i][j]; }
    }
  }
}
