// matmul_backward's input gradient (ops.ts): dinp[r][i] += Σ_o dout[r][o]·weight[o][i],
// one sum per element in output-channel order. Tiled as matmul_forward (16×16
// blocks of dinp, stepping over OC in 16-wide tiles), no split-K.

// MATMUL_SHARED (generated header) picks how operands are read: through
// workgroup tiles, or straight from storage with no barrier (faster on a
// software renderer). The sums and their order are the same, so are the bits.

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

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let C = params.channels;
  let OC = params.out_channels;
  let tiles_i = (C + TILE - 1u) / TILE;
  let w = wid.x + wid.y * nwg.x;
  if (w >= tiles_i * ((params.rows + TILE - 1u) / TILE)) {
    return;
  }
  let r0 = (w / tiles_i) * TILE;
  let i0 = (w % tiles_i) * TILE;
  let r = r0 + lid.y;
  let i = i0 + lid.x;
  var acc = 0.0;
  if (MATMUL_SHARED) {
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
  } else if (r < params.rows && i < C) {
    for (var k = 0u; k < OC; k++) {
      acc += dout[r * OC + k] * weight[k * C + i];
    }
  }
  if (r < params.rows && i < C) {
    dinp[r * C + i] += acc;
  }
}
