// rope_forward (ops.ts): rotates each head's query and key channel pairs
// (2j, 2j+1) by position t × θ_j; values pass unchanged. inp and out are
// [rows][3C]; cos and sin are [T][hs/2] tables (ropeTables, made once on the
// host). One invocation per element; it reads both members of its pair.

struct Params {
  rows: u32,
  seq_len: u32,
  channels: u32,
  head_size: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> cos_t: array<f32>;
@group(0) @binding(3) var<storage, read> sin_t: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  let C3 = 3u * params.channels;
  if (n >= params.rows * C3) {
    return;
  }
  let c = n % C3;
  if (c >= 2u * params.channels) {
    out[n] = inp[n];
    return;
  }
  let hs = params.head_size;
  let half = hs / 2u;
  let ii = (c % params.channels) % hs;
  let j = ii / 2u;
  let t = (n / C3) % params.seq_len;
  let cs = cos_t[t * half + j];
  let sn = sin_t[t * half + j];
  let first = n - (ii % 2u);
  let x0 = inp[first];
  let x1 = inp[first + 1u];
  if (ii % 2u == 0u) {
    out[n] = x0 * cs - x1 * sn;
  } else {
    out[n] = x0 * sn + x1 * cs;
  }
}
