// matmul_backward's parameter gradients (ops.ts): dweight[o][i] += Σ_r dout[r][o]·inp[r][i]
// and dbias[o] += Σ_r dout[r][o], each one sum over rows in row order (no
// split-K: every row of the batch in one workgroup's loop). The bias is column
// C of an input widened by a column of ones, so one tiled kernel does both:
// 16×16 blocks of the [OC][C + 1] result.

// MATMUL_SHARED (generated header) picks how operands are read: through
// workgroup tiles, or straight from storage with no barrier (faster on a
// software renderer). The sums and their order are the same, so are the bits.

struct Params {
  rows: u32,
  channels: u32,
  out_channels: u32,
  has_bias: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;
@group(0) @binding(3) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(4) var<storage, read_write> dbias: array<f32>;

const TILE: u32 = 16u;
var<workgroup> a_tile: array<f32, 256>; // [out channel][k = row]
var<workgroup> b_tile: array<f32, 256>; // [k][input channel, or 1 for the bias]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let C = params.channels;
  let OC = params.out_channels;
  let rows = params.rows;
  let tiles_i = (C + 1u + TILE - 1u) / TILE;
  let w = wid.x + wid.y * nwg.x;
  if (w >= tiles_i * ((OC + TILE - 1u) / TILE)) {
    return;
  }
  let o0 = (w / tiles_i) * TILE;
  let i0 = (w % tiles_i) * TILE;
  let o = o0 + lid.y;
  let i = i0 + lid.x;
  var acc = 0.0;
  if (MATMUL_SHARED) {
    for (var k0 = 0u; k0 < rows; k0 += TILE) {
      let ra = k0 + lid.x;
      let oa = o0 + lid.y;
      var a = 0.0;
      if (ra < rows && oa < OC) {
        a = dout[ra * OC + oa];
      }
      a_tile[lid.y * TILE + lid.x] = a;
      let rb = k0 + lid.y;
      var b = 0.0;
      if (rb < rows) {
        if (i < C) {
          b = inp[rb * C + i];
        } else if (i == C) {
          b = 1.0;
        }
      }
      b_tile[lid.y * TILE + lid.x] = b;
      workgroupBarrier();
      let kn = min(TILE, rows - k0);
      for (var kk = 0u; kk < kn; kk++) {
        acc += a_tile[lid.y * TILE + kk] * b_tile[kk * TILE + lid.x];
      }
      workgroupBarrier();
    }
  } else if (o < OC && i <= C) {
    for (var k = 0u; k < rows; k++) {
      var b = 1.0;
      if (i < C) {
        b = inp[k * C + i];
      }
      acc += dout[k * OC + o] * b;
    }
  }
  if (o < OC) {
    if (i < C) {
      dweight[o * C + i] += acc;
    } else if (i == C && params.has_bias != 0u) {
      dbias[o] += acc;
    }
  }
}
