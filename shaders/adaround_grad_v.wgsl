// AdaRound: dL/dV alone (no update), for inspection and tests; adaround_adam.wgsl applies the same
// adaround_grad. Compiled as quantizer.wgsl + adaround_common.wgsl + this file.

override WG: u32 = 64u;

struct Params { count: u32, K: u32, bits: u32, rowStride: u32, alpha: f32, beta: f32, _p0: f32, _p1: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> base: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero: array<f32>;
@group(0) @binding(4) var<storage, read> gradW: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read_write> gradV: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  let n = i / p.K;
  gradV[i] = adaround_grad(v[i], base[i], scale[n], zero[n], p.bits, gradW[i], p.alpha, p.beta);
}
