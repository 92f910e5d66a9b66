// matmul_backward's parameter gradients (ops.ts): dweight[o][i] += Σ_r dout[r][o]·inp[r][i]
// and dbias[o] += Σ_r dout[r][o], each one sum over rows in row order (no
// split-K: every row of the batch in one invocation's loop). The bias is
// column C of an input widened by a column of ones, so one kernel does both:
// the [OC][C + 1] result. Tiled or direct operands as matmul_forward
// (MATMUL_SHARED): the same sums, the same bits.

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

// Column i of the widened input at row r: inp, then the ones of the bias.
fn widened(r: u32, i: u32) -> f32 {
  if (i < params.channels) {
    return inp[r * params.channels + i];
  }
  return 1.0;
}

fn store(o: u32, i: u32, acc: f32) {
  if (i < params.channels) {
    dweight[o * params.channels + i] += acc;
  } else if (params.has_bias != 0u) {
    dbias[o] += acc;
  }
}

fn tiled(w: u32, lid: vec3<u32>) {
  let C = params.channels;
  let OC = params.out_channels;
  let rows = params.rows;
  let tiles_i = (C + 1u + TILE - 1u) / TILE;
  if (w >= tiles_i * ((OC + TILE - 1u) / TILE)) {
    return;
  }
  let o0 = (w / tiles_i) * TILE;
  let i0 = (w % tiles_i) * TILE;
  let o = o0 + lid.y;
  let i = i0 + lid.x;
  var acc = 0.0;
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
    if (rb < rows && i <= C) {
      b = widened(rb, i);
    }
    b_tile[lid.y * TILE + lid.x] = b;
    workgroupBarrier();
    let kn = min(TILE, rows - k0);
    for (var kk = 0u; kk < kn; kk++) {
      acc += a_tile[lid.y * TILE + kk] * b_tile[kk * TILE + lid.x];
    }
    workgroupBarrier();
  }
  if (o < OC && i <= C) {
    store(o, i, acc);
  }
}

// A 4 × 4 block of the [OC][C + 1] result per invocation (out channels
// o0..o0+3, widened input channels i..i+3), each a sum over every row; past
// the last out channel or column a lane repeats the last one and is not stored.
fn direct(n: u32) {
  let C1 = params.channels + 1u;
  let OC = params.out_channels;
  let quads = (C1 + 3u) / 4u;
  if (n >= ((OC + 3u) / 4u) * quads) {
    return;
  }
  let o0 = (n / quads) * 4u;
  let i = (n % quads) * 4u;
  let is = vec4<u32>(i, min(i + 1u, C1 - 1u), min(i + 2u, C1 - 1u), min(i + 3u, C1 - 1u));
  let os = vec4<u32>(o0, min(o0 + 1u, OC - 1u), min(o0 + 2u, OC - 1u), min(o0 + 3u, OC - 1u));
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  for (var r = 0u; r < params.rows; r++) {
    let x = vec4<f32>(widened(r, is.x), widened(r, is.y), widened(r, is.z), widened(r, is.w));
    let d = r * OC;
    a0 += dout[d + os.x] * x;
    a1 += dout[d + os.y] * x;
    a2 += dout[d + os.z] * x;
    a3 += dout[d + os.w] * x;
  }
  store4(o0, i, a0);
  if (o0 + 1u < OC) {
    store4(o0 + 1u, i, a1);
  }
  if (o0 + 2u < OC) {
    store4(o0 + 2u, i, a2);
  }
  if (o0 + 3u < OC) {
    store4(o0 + 3u, i, a3);
  }
}

fn store4(o: u32, i: u32, a: vec4<f32>) {
  let C1 = params.channels + 1u;
  store(o, i, a.x);
  if (i + 1u < C1) {
    store(o, i + 1u, a.y);
  }
  if (i + 2u < C1) {
    store(o, i + 2u, a.z);
  }
  if (i + 3u < C1) {
    store(o, i + 3u, a.w);
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
