// Σ a² and Σ (a − b)² over two tensors of the same size, in one workgroup: the signal and noise
// of a layer's output, float model against quantized (src/quant/squared-error-op.ts).

override WG: u32 = 64u;

struct Params { count: u32, offA: u32, offB: u32, _p0: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> signal: array<f32, WG>;
var<workgroup> noise: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  var s = 0.0;
  var n = 0.0;
  // Partial sums of 4096 values keep float32 accumulation error small over long tensors.
  for (var i0 = lid.x; i0 < p.count; i0 += WG * 4096u) {
    var ps = 0.0;
    var pn = 0.0;
    let i1 = min(p.count, i0 + WG * 4096u);
    for (var i = i0; i < i1; i += WG) {
      let x = a[p.offA + i];
      let d = x - b[p.offB + i];
      ps += x * x;
      pn += d * d;
    }
    s += ps;
    n += pn;
  }
  signal[lid.x] = s;
  noise[lid.x] = n;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k /= 2u) {
    if (lid.x < k) {
      signal[lid.x] += signal[lid.x + k];
      noise[lid.x] += noise[lid.x + k];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    out[0] = signal[0];
    out[1] = noise[0];
  }
}
