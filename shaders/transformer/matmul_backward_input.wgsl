// matmul_backward's input gradient (ops.ts): dinp[r][i] += Σ_o dout[r][o]·weight[o][i],
// one sum per element in output-channel order, no split-K. Tiled or direct
// operands as matmul_forward (MATMUL_SHARED): the same sums, the same bits.

struct Params {
  rows: u32,
  channels: u32,
  out_channels: u32,
  // 0: dinp = the sum (no clear needed before), else dinp += it.
  accumulate: u32,
  // With has_gelu, the sum is the gradient at GELU's output and dinp gets it
  // times GELU's derivative at gelu_inp (gelu_backward.wgsl's formula): the
  // MLP's activation backward fused in.
  has_gelu: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(4) var<storage, read> gelu_inp: array<f32>;

const GELU_SCALING_FACTOR: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

fn put(at: u32, a: f32) {
  var v = a;
  if (params.has_gelu != 0u) {
    let x = gelu_inp[at];
    let th = tanh(clamp(GELU_SCALING_FACTOR * (x + GELU_CUBIC * x * x * x), -15.0, 15.0));
    let sech2 = 1.0 - th * th;
    let local = 0.5 * (1.0 + th) + 0.5 * x * sech2 * GELU_SCALING_FACTOR * (1.0 + 3.0 * GELU_CUBIC * x * x);
    v = local * v;
  }
  if (params.accumulate != 0u) {
    dinp[at] += v;
  } else {
    dinp[at] = v;
  }
}

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
    put(r * C + i, acc);
  }
}

// A 4 × 4 block of dinp per invocation (rows r0..r0+3, channels i..i+3); past
// the last row or channel a lane repeats the last one and is not stored.
fn direct(n: u32) {
  let C = params.channels;
  let OC = params.out_channels;
  let R = params.rows;
  let quads = (C + 3u) / 4u;
  if (n >= ((R + 3u) / 4u) * quads) {
    return;
  }
  let r0 = (n / quads) * 4u;
  let i = (n % quads) * 4u;
  let is = vec4<u32>(i, min(i + 1u, C - 1u), min(i + 2u, C - 1u), min(i + 3u, C - 1u));
  let rs = vec4<u32>(r0, min(r0 + 1u, R - 1u), min(r0 + 2u, R - 1u), min(r0 + 3u, R - 1u)) * OC;
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  for (var k = 0u; k < OC; k++) {
    let wk = k * C;
    let w = vec4<f32>(weight[wk + is.x], weight[wk + is.y], weight[wk + is.z], weight[wk + is.w]);
    a0 += dout[rs.x + k] * w;
    a1 += dout[rs.y + k] * w;
    a2 += dout[rs.z + k] * w;
    a3 += dout[rs.w + k] * w;
  }
  add4(r0, i, a0);
  if (r0 + 1u < R) {
    add4(r0 + 1u, i, a1);
  }
  if (r0 + 2u < R) {
    add4(r0 + 2u, i, a2);
  }
  if (r0 + 3u < R) {
    add4(r0 + 3u, i, a3);
  }
}

fn add4(r: u32, i: u32, a: vec4<f32>) {
  let C = params.channels;
  put(r * C + i, a.x);
  if (i + 1u < C) {
    put(r * C + i + 1u, a.y);
  }
  if (i + 2u < C) {
    put(r * C + i + 2u, a.z);
  }
  if (i + 3u < C) {
    put(r * C + i + 3u, a.w);
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
