// AdaRound loss terms in one workgroup, written to out[slot] and out[slot + 1]:
//   out[slot]     (+)= scale * sum (Yq - Y)^2      (ACCUMULATE adds to what is there)
//   out[slot + 1]   = sum_i (1 - |2 h(V_i) - 1|^beta)   (only when vCount > 0)
// Compiled as quantizer.wgsl + adaround_common.wgsl + this file.

const THREADS: u32 = 256u;
override ACCUMULATE: bool = false;

struct Params { count: u32, vCount: u32, slot: u32, _p0: u32, scale: f32, beta: f32, _p1: f32, _p2: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> yq: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> partRec: array<f32, THREADS>;
var<workgroup> partReg: array<f32, THREADS>;

@compute @workgroup_size(THREADS)
fn main(@builtin(local_invocation_index) li: u32) {
  var rec = 0.0;
  for (var i = li; i < p.count; i += THREADS) {
    let d = yq[i] - y[i];
    rec += d * d;
  }
  var reg = 0.0;
  for (var i = li; i < p.vCount; i += THREADS) { reg += adaround_reg(adaround_h(v[i]), p.beta); }
  partRec[li] = rec;
  partReg[li] = reg;
  workgroupBarrier();
  for (var half = THREADS / 2u; half > 0u; half /= 2u) {
    if (li < half) {
      partRec[li] += partRec[li + half];
      partReg[li] += partReg[li + half];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    var total = p.scale * partRec[0];
    if (ACCUMULATE) { total += out[p.slot]; }
    out[p.slot] = total;
    if (p.vCount > 0u) { out[p.slot + 1u] = partReg[0]; }
  }
}
