// Calibration statistics of one activation tensor, reduced on the GPU so only a few numbers come
// back to the host (src/quant/activation-stats-op.ts is the CPU twin):
//   minmax:   [min, max] over every value (one workgroup striding over the tensor);
//   energy:   sum over rows of x^2 for each of C channels (x laid out [rows, C]);
//   sample:   K values, one from each of K equal strata of the tensor, at a hashed position.

override WG: u32 = 64u;

struct Params { count: u32, channels: u32, samples: u32, seed: u32, offset: u32, rows: u32, rowStride: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> lo: array<f32, WG>;
var<workgroup> hi: array<f32, WG>;

@compute @workgroup_size(WG)
fn minmax(@builtin(local_invocation_id) lid: vec3<u32>) {
  var a = x[p.offset];
  var b = a;
  for (var i = lid.x; i < p.count; i += WG) {
    let v = x[p.offset + i];
    a = min(a, v);
    b = max(b, v);
  }
  lo[lid.x] = a;
  hi[lid.x] = b;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (lid.x < s) {
      lo[lid.x] = min(lo[lid.x], lo[lid.x + s]);
      hi[lid.x] = max(hi[lid.x], hi[lid.x + s]);
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    out[0] = lo[0];
    out[1] = hi[0];
  }
}

// Partial sums over 256 rows at a time keep float32 accumulation error small over long tensors.
@compute @workgroup_size(WG)
fn energy(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.channels) { return; }
  var total = 0.0;
  for (var r0 = 0u; r0 < p.rows; r0 += 256u) {
    var part = 0.0;
    let r1 = min(p.rows, r0 + 256u);
    for (var r = r0; r < r1; r++) {
      let v = x[p.offset + r * p.channels + c];
      part += v * v;
    }
    total += part;
  }
  out[c] = total;
}

fn hash(v: u32) -> u32 {
  var h = v * 747796405u + 2891336453u;
  h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
  return (h >> 22u) ^ h;
}

fn stratum_start(j: u32) -> u32 {
  let q = p.count / p.samples;
  let r = p.count % p.samples;
  return j * q + (j * r) / p.samples;
}

@compute @workgroup_size(WG)
fn sample(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x + gid.y * p.rowStride;
  if (j >= p.samples) { return; }
  let start = stratum_start(j);
  let width = stratum_start(j + 1u) - start;
  out[j] = x[p.offset + start + hash(j ^ p.seed) % width];
}
