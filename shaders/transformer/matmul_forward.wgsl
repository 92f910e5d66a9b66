// matmul_forward (ops.ts) with an epilogue: out[r][o] = bias[o] + Σ_i inp[r][i]·weight[o][i]
// (+ residual[r][o] when has_residual: the residual add fused in, which saves
// a dispatch per branch; + act = gelu(out) when has_gelu). weight is [OC][C], as llm.c's. Every output is one
// sum in channel order (bias first, as ops.ts), with no split-K.
// Two ways to read the operands, picked by MATMUL_SHARED (generated header,
// with the workgroup shape MM_WG_X × MM_WG_Y); the sums and their order are
// the same, so are the bits:
// - tiled: each 16×16 workgroup computes a 16×16 block of out, stepping over C
//   in 16-wide tiles staged in workgroup memory (what a GPU wants);
// - direct: each invocation computes a 4 × 4 block of out (4 rows × 4 adjacent
//   channels) from storage, with no barrier, reusing each input and weight it
//   loads 4 times (several times faster on a software renderer, which runs a
//   barrier as a switch of every fiber and every load as a per-lane gather).

struct Params {
  rows: u32,
  channels: u32,
  out_channels: u32,
  has_bias: u32,
  has_residual: u32,
  has_gelu: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
// With has_gelu, also gelu(out) (gelu_forward.wgsl's formula): the MLP's
// activation fused in, which saves a dispatch and a pass over fch.
@group(0) @binding(6) var<storage, read_write> act: array<f32>;

const GELU_SCALING_FACTOR: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

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
  if (params.has_gelu != 0u) {
    let th = tanh(clamp(GELU_SCALING_FACTOR * (y + GELU_CUBIC * y * y * y), -15.0, 15.0));
    act[r * params.out_channels + o] = 0.5 * y * (1.0 + th);
  }
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
  let R = params.rows;
  let quads = (OC + 3u) / 4u;
  if (n >= ((R + 3u) / 4u) * quads) {
    return;
  }
  // A 4 × 4 block: rows r0..r0+3, channels o..o+3. Past the last row or
  // channel, a lane repeats the last one and is not stored.
  let r0 = (n / quads) * 4u;
  let o = (n % quads) * 4u;
  let os = vec4<u32>(o, min(o + 1u, OC - 1u), min(o + 2u, OC - 1u), min(o + 3u, OC - 1u));
  let rs = vec4<u32>(r0, min(r0 + 1u, R - 1u), min(r0 + 2u, R - 1u), min(r0 + 3u, R - 1u)) * C;
  let ws = os * C;
  let b = vec4<f32>(start(os.x), start(os.y), start(os.z), start(os.w));
  var a0 = b;
  var a1 = b;
  var a2 = b;
  var a3 = b;
  for (var k = 0u; k < C; k++) {
    let w = vec4<f32>(weight[ws.x + k], weight[ws.y + k], weight[ws.z + k], weight[ws.w + k]);
    a0 += inp[rs.x + k] * w;
    a1 += inp[rs.y + k] * w;
    a2 += inp[rs.z + k] * w;
    a3 += inp[rs.w + k] * w;
  }
  store4(r0, o, a0);
  if (r0 + 1u < R) {
    store4(r0 + 1u, o, a1);
  }
  if (r0 + 2u < R) {
    store4(r0 + 2u, o, a2);
  }
  if (r0 + 3u < R) {
    store4(r0 + 3u, o, a3);
  }
}

fn store4(r: u32, o: u32, a: vec4<f32>) {
  let OC = params.out_channels;
  store(r, o, a.x);
  if (o + 1u < OC) {
    store(r, o + 1u, a.y);
  }
  if (o + 2u < OC) {
    store(r, o + 2u, a.z);
  }
  if (o + 3u < OC) {
    store(r, o + 3u, a.w);
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
