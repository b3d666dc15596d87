// Gathers rows of a row-major matrix: out[r, c] = src[index[indexOffset + r], c], for the
// minibatches of AdaRound (one index list per iteration, uploaded once per command batch).

override WG: u32 = 64u;

struct Params { rows: u32, width: u32, indexOffset: u32, rowStride: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.rows * p.width) { return; }
  let r = i / p.width;
  out[i] = src[index[p.indexOffset + r] * p.width + i % p.width];
}
