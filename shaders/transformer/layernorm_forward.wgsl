// layernorm_forward (ops.ts): out = (x − mean)·rstd·weight + bias per row, with
// mean and rstd kept for the backward. One invocation per row: C is a few dozen
// channels, and a row's sums then run in channel order.

struct Params {
  rows: u32,
  channels: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= params.rows) {
    return;
  }
  let C = params.channels;
  let x = r * C;
  var m = 0.0;
  for (var i = 0u; i < C; i++) {
    m += inp[x + i];
  }
  m /= f32(C);
  var v = 0.0;
  for (var i = 0u; i < C; i++) {
    let d = inp[x + i] - m;
    v += d * d;
  }
  v /= f32(C);
  let s = 1.0 / sqrt(v + params.eps);
  for (var i = 0u; i < C; i++) {
    out[x + i] = (inp[x + i] - m) * s * weight[i] + bias[i];
  }
  mean[r] = m;
  rstd[r] = s;
}
