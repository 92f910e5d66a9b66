// matmul_backward's input gradient (ops.ts): dinp[r][i] += Σ_o dout[r][o]·weight[o][i],
// one sum per element in output-channel order, no split-K. Tiled or direct
// operands as matmul_forward (MATMUL_SHARED): the same sums, the same bits.

struct Params {
  rows: u32,
  channels: u32,
  out_channels: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> dinp: array<f32>;

const TILE: u32 = 16u;
var<workgroup> a_tile: array<f32, 256>; // [row][k = out channel]
var<workgroup> b_tile: array<f32, 256>; // [k][input channel]

fn tiled(w: u32, lid: vec3<u32>) {
  let C = params.channels;
  let OC = params.out_channels;
  let tiles_i = (C + TILE - 1u) / TILE;
  if (w >= tiles_i * ((params.rows + TILE - 1u) / TILE)) {
    return;
  }
  let r0 = (w / tiles_i) * TILE;
  let i0 = (w % tiles_i) * TILE;
  let r = r0 + lid.y;
  let i = i0 + lid.x;
  var acc = 0.0;
  for (var k0 = 0u; k0 < OC; k0 += TILE) {
    let ka = k0 + lid.x;
    var a = 0.0;
    if (r < params.rows && ka < OC) {
      a = dout[r * OC + ka];
    }
    a_tile[lid.y * TILE + lid.x] = a;
    let kb = k0 + lid.y;
    var b = 0.0;
    if (kb < OC && i < C) {
      b = weight[kb * C + i];
    }
    b_tile[lid.y * TILE + lid.x] = b;
    workgroupBarrier();
    let kn = min(TILE, OC - k0);
    for (var kk = 0u; kk < kn; kk++) {
      acc += a_tile[lid.y * TILE + kk] * b_tile[kk * TILE + lid.x];
    }
    workgroupBarrier();
  }
  if (r < params.rows && i < C) {
    dinp[r * C + i] += acc;
  }
}

fn direct(n: u32) {
  let C = params.channels;
  let OC = params.out_channels;
  let quads = (C + 3u) / 4u;
  if (n >= params.rows * quads) {
    return;
  }
  let r = n / quads;
  let i = (n % quads) * 4u;
  let i1 = min(i + 1u, C - 1u);
  let i2 = min(i + 2u, C - 1u);
  let i3 = min(i + 3u, C - 1u);
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  for (var k = 0u; k < OC; k++) {
    let x = dout[r * OC + k];
    a0 += x * weight[k * C + i];
    a1 += x * weight[k * C + i1];
    a2 += x * weight[k * C + i2];
    a3 += x * weight[k * C + i3];
  }
  dinp[r * C + i] += a0;
  if (i + 1u < C) {
    dinp[r * C + i + 1u] += a1;
  }
  if (i + 2u < C) {
    dinp[r * C + i + 2u] += a2;
  }
  if (i + 3u < C) {
    dinp[r * C + i + 3u] += a3;
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
