// Unfold image patches for Conv as a matmul: x [N, C, H, W] → cols [N, OH·OW, C·KH·KW],
// zero where the kernel reaches into padding.

override WG: u32 = 64u;

struct Params {
  count: u32, C: u32, H: u32, W: u32,
  KH: u32, KW: u32, OH: u32, OW: u32,
  strideH: u32, strideW: u32, padTop: u32, padLeft: u32,
  dilH: u32, dilW: u32, offIn: u32, rowStride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.count) { return; }
  let patchLen = p.C * p.KH * p.KW;
  let k = i % patchLen;
  let pos = (i / patchLen) % (p.OH * p.OW);
  let n = i / (patchLen * p.OH * p.OW);
  let kw = k % p.KW;
  let kh = (k / p.KW) % p.KH;
  let c = k / (p.KW * p.KH);
  let oy = pos / p.OW;
  let ox = pos % p.OW;
  let iy = i32(oy * p.strideH + kh * p.dilH) - i32(p.padTop);
  let ix = i32(ox * p.strideW + kw * p.dilW) - i32(p.padLeft);
  var v = 0.0;
  if (iy >= 0 && ix >= 0 && iy < i32(p.H) && ix < i32(p.W)) {
    v = x[p.offIn + ((n * p.C + c) * p.H + u32(iy)) * p.W + u32(ix)];
  }
  cols[i] = v;
}
