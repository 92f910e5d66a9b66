// matmul_forward (ops.ts) with an epilogue: out[r][o] = bias[o] + Σ_i inp[r][i]·weight[o][i]
// (+ residual[r][o] when has_residual: the residual add fused in, which saves
// a dispatch per branch). weight is [OC][C], as llm.c's. Every output is one
// sum in channel order (bias first, as ops.ts), with no split-K.
// Two ways to read the operands, picked by MATMUL_SHARED (generated header,
// with the workgroup shape MM_WG_X × MM_WG_Y); the sums and their order are
// the same, so are the bits:
// - tiled: each 16×16 workgroup computes a 16×16 block of out, stepping over C
//   in 16-wide tiles staged in workgroup memory (what a GPU wants);
// - direct: each invocation computes 4 adjacent outputs of a row from storage,
//   with no barrier, reusing each input it loads 4 times (several times faster
//   on a software renderer, which runs a barrier as a switch of every fiber).

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

fn start(o: u32) -> f32 {
  if (params.has_bias != 0u) {
    return bias[o];
  }
  return 0.0;
}

fn store(r: u32, o: u32, acc: f32) {
  var y = acc;
  if (params.has_residual != 0u) {
    y += residual[r * params.out_channels + o];
  }
  out[r * params.out_channels + o] = y;
}

fn tiled(w: u32, lid: vec3<u32>) {
  let C = params.channels;
  let OC = params.out_channels;
  let tiles_o = (OC + TILE - 1u) / TILE;
  if (w >= tiles_o * ((params.rows + TILE - 1u) / TILE)) {
    return;
  }
  let r0 = (w / tiles_o) * TILE;
  let o0 = (w % tiles_o) * TILE;
  let r = r0 + lid.y;
  let o = o0 + lid.x;
  var acc = 0.0;
  if (o < OC) {
    acc = start(o);
  }
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
  if (r < params.rows && o < OC) {
    store(r, o, acc);
  }
}

fn direct(n: u32) {
  let C = params.channels;
  let OC = params.out_channels;
  let quads = (OC + 3u) / 4u;
  if (n >= params.rows * quads) {
    return;
  }
  let r = n / quads;
  let o = (n % quads) * 4u;
  // Past the last channel, a lane repeats the last one and is not stored.
  let o1 = min(o + 1u, OC - 1u);
  let o2 = min(o + 2u, OC - 1u);
  let o3 = min(o + 3u, OC - 1u);
  var a0 = start(o);
  var a1 = start(o1);
  var a2 = start(o2);
  var a3 = start(o3);
  for (var k = 0u; k < C; k++) {
    let x = inp[r * C + k];
    a0 += x * weight[o * C + k];
    a1 += x * weight[o1 * C + k];
    a2 += x * weight[o2 * C + k];
    a3 += x * weight[o3 * C + k];
  }
  store(r, o, a0);
  if (o + 1u < OC) {
    store(r, o + 1u, a1);
  }
  if (o + 2u < OC) {
    store(r, o + 2u, a2);
  }
  if (o + 3u < OC) {
    store(r, o + 3u, a3);
  }
}

@compute @workgroup_size(MM_WG_X, MM_WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(global_invocation_id) gid: vec3<u32>) {
  if (MATMUL_SHARED) {
    tiled(wid.x + wid.y * nwg.x, lid);
  } else {
    direct(gid.x + gid.y * nwg.x * MM_WG_X);
  }
}
