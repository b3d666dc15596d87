// VEFT's contrastive loss (paper eq. 9) and its gradient, over a batch of B images with features
// of D values each: anchors A (the float model's), positives C = w P2 + (1 - w) P1 (the mixed-
// precision and the all-integer model's features, w = t/T), and as negatives every other image's C:
//   s[b, k] = cos(A_b, C_k),  L = (1/B) sum_b -log( exp(s[b,b]/tau) / sum_k exp(s[b,k]/tau) )
//   dL/dC_k = 1/(tau |C_k|) sum_b G[b,k] (A_b/|A_b| - s[b,k] C_k/|C_k|),  G = (softmax_k(s/tau) - I)/B
//   dP2 = w dC, dP1 = (1 - w) dC.
// Three passes (MODE): 0 dot products, one workgroup each (A_b.C_k, then |A_b|^2, then |C_k|^2, into
// scratch); 1 the row softmaxes, the coefficients G and s (into scratch after the dots) and the
// loss, one workgroup; 2 the gradients, one invocation per element of C. Float64 twin:
// src/grad/losses.ts contrastiveReference.

override MODE: u32 = 0u;
override WG: u32 = 64u;

struct Params { B: u32, D: u32, rowStride: u32, slot: u32, tau: f32, w: f32, scale: f32, _p0: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> p1: array<f32>;
@group(0) @binding(3) var<storage, read> p2: array<f32>;
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(5) var<storage, read_write> d1: array<f32>;
@group(0) @binding(6) var<storage, read_write> d2: array<f32>;
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;

var<workgroup> partial: array<f32, WG>;

fn c(k: u32, d: u32) -> f32 {
  let i = k * p.D + d;
  return p.w * p2[i] + (1.0 - p.w) * p1[i];
}

// Workgroup (x, y): y < B: A_y . C_x; y = B: |A_x|^2; y = B + 1: |C_x|^2.
fn dots(x: u32, y: u32, lid: u32) {
  var s = 0.0;
  for (var d = lid; d < p.D; d += WG) {
    var u = 0.0;
    var v = 0.0;
    if (y < p.B) { u = a[y * p.D + d]; v = c(x, d); }
    else if (y == p.B) { u = a[x * p.D + d]; v = u; }
    else { u = c(x, d); v = u; }
    s += u * v;
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (lid < h) { partial[lid] += partial[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u) { scratch[y * p.B + x] = partial[0]; }
}

// Scratch after the dots (B*B + 2B): G at [off, off + B*B), s at [off + B*B, off + 2*B*B).
fn coefficients(lid: u32) {
  let B = p.B;
  let off = B * B + 2u * B;
  var rowLoss = 0.0;
  for (var b = lid; b < B; b += WG) {
    let na = sqrt(max(scratch[B * B + b], 1e-30));
    var m = -3.4028e38;
    for (var k = 0u; k < B; k++) {
      let nc = sqrt(max(scratch[B * B + B + k], 1e-30));
      let s = scratch[b * B + k] / (na * nc);
      scratch[off + B * B + b * B + k] = s;
      m = max(m, s / p.tau);
    }
    var sum = 0.0;
    for (var k = 0u; k < B; k++) { sum += exp(scratch[off + B * B + b * B + k] / p.tau - m); }
    for (var k = 0u; k < B; k++) {
      let prob = exp(scratch[off + B * B + b * B + k] / p.tau - m) / sum;
      scratch[off + b * B + k] = (prob - select(0.0, 1.0, k == b)) / f32(B);
    }
    rowLoss += m + log(sum) - scratch[off + B * B + b * B + b] / p.tau;
  }
  partial[lid] = rowLoss;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (lid < h) { partial[lid] += partial[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u) { loss[p.slot] = p.scale * partial[0] / f32(B); }
}

fn gradient(i: u32) {
  let B = p.B;
  let off = B * B + 2u * B;
  let k = i / p.D;
  let d = i % p.D;
  let nc = sqrt(max(scratch[B * B + B + k], 1e-30));
  let ck = c(k, d) / nc;
  var sum = 0.0;
  for (var b = 0u; b < B; b++) {
    let na = sqrt(max(scratch[B * B + b], 1e-30));
    sum += scratch[off + b * B + k] * (a[b * p.D + d] / na - scratch[off + B * B + b * B + k] * ck);
  }
  let g = p.scale * sum / (p.tau * nc);
  d2[i] = p.w * g;
  d1[i] = (1.0 - p.w) * g;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  if (MODE == 0u) {
    dots(wg.x, wg.y, lid);
  } else if (MODE == 1u) {
    coefficients(lid);
  } else {
    let i = gid.x + gid.y * p.rowStride;
    if (i < p.B * p.D) { gradient(i); }
  }
}
