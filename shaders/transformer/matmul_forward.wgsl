// matmul_forward (ops.ts) with an epilogue: out[r][o] = bias[o] + Σ_i inp[r][i]·weight[o][i]
// (+ residual[r][o] when has_residual: the residual add fused in, which saves
// a dispatch per branch). weight is [OC][C], as llm.c's.
// Tiled: each 16×16 workgroup computes a 16×16 block of out, stepping over C
// in 16-wide tiles staged in workgroup memory. Every output is one sum in
// channel order (bias first, as ops.ts), with no split-K, so the result does
// not depend on the tiling's schedule. Edge tiles are padded with zeros.

// MATMUL_SHARED (generated header) picks how operands are read: through
// workgroup tiles, or straight from storage with no barrier (faster on a
// software renderer). The sums and their order are the same, so are the bits.

struct Params {
  rows: u32,
  channels: u32,
  out_channels: u32,
  has_bias: u32,
  has_residual: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const TILE: u32 = 16u;
var<workgroup> a_tile: array<f32, 256>; // [row][k]
var<workgroup> b_tile: array<f32, 256>; // [out channel][k]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let C = params.channels;
  let OC = params.out_channels;
  let tiles_o = (OC + TILE - 1u) / TILE;
  let w = wid.x + wid.y * nwg.x;
  if (w >= tiles_o * ((params.rows + TILE - 1u) / TILE)) {
    return;
  }
  let r0 = (w / tiles_o) * TILE;
  let o0 = (w % tiles_o) * TILE;
  let r = r0 + lid.y;
  let o = o0 + lid.x;
  var acc = 0.0;
  if (params.has_bias != 0u && o < OC) {
    acc = bias[o];
  }
  if (MATMUL_SHARED) {
    for (var k0 = 0u; k0 < C; k0 += TILE) {
      let k = k0 + lid.x;
      var a = 0.0;
      if (r < params.rows && k < C) {
        a = inp[r * C + k];
      }
      a_tile[lid.y * TILE + lid.x] = a;
      let wo = o0 + lid.y;
      var b = 0.0;
      if (wo < OC && k < C) {
        b = weight[wo * C + k];
      }
      b_tile[lid.y * TILE + lid.x] = b;
      workgroupBarrier();
      let kn = min(TILE, C - k0);
      for (var kk = 0u; kk < kn; kk++) {
        acc += a_tile[lid.y * TILE + kk] * b_tile[lid.x * TILE + kk];
      }
      workgroupBarrier();
    }
  } else if (r < params.rows && o < OC) {
    for (var k = 0u; k < C; k++) {
      acc += inp[r * C + k] * weight[o * C + k];
    }
  }
  if (r < params.rows && o < OC) {
    if (params.has_residual != 0u) {
      acc += residual[r * OC + o];
    }
    out[r * OC + o] = acc;
  }
}
