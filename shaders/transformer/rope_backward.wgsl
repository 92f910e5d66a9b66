// rope_backward (ops.ts): the rotation is orthogonal, so its backward rotates
// by the opposite angle; values' gradients pass unchanged. Adds into dinp.

struct Params {
  rows: u32,
  seq_len: u32,
  channels: u32,
  head_size: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> cos_t: array<f32>;
@group(0) @binding(3) var<storage, read> sin_t: array<f32>;
@group(0) @binding(4) var<storage, read_write> dinp: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  let C3 = 3u * params.channels;
  if (n >= params.rows * C3) {
    return;
  }
  let c = n % C3;
  if (c >= 2u * params.channels) {
    dinp[n] += dout[n];
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
  let d0 = dout[first];
  let d1 = dout[first + 1u];
  if (ii % 2u == 0u) {
    dinp[n] += d0 * cs + d1 * sn;
  } else {
    dinp[n] += -d0 * sn + d1 * cs;
  }
}
