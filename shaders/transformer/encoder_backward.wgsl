// encoder_backward as a gather: each element of dwte (and of dwpe) is one
// invocation that sums, in position order, the gradients of every position that
// read it. No scatter, so no float atomics, and the same sum every run. It costs
// vocab × rows reads per channel, which at a character vocabulary is small.
// Invocations [0, vocab·C) own dwte, [vocab·C, vocab·C + T·C) own dwpe. Adds into
// both (callers zero them), as ops.ts does.

struct Params {
  rows: u32,
  seq_len: u32,
  channels: u32,
  vocab: u32,
  use_wpe: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> tokens: array<i32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read_write> dwte: array<f32>;
@group(0) @binding(4) var<storage, read_write> dwpe: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  let C = params.channels;
  let own_wte = params.vocab * C;
  if (n < own_wte) {
    let v = i32(n / C);
    let i = n % C;
    var acc = 0.0;
    for (var bt = 0u; bt < params.rows; bt++) {
      if (tokens[bt] == v) {
        acc += dout[bt * C + i];
      }
    }
    dwte[n] += acc;
    return;
  }
  let m = n - own_wte;
  if (params.use_wpe == 0u || m >= params.seq_len * C) {
    return;
  }
  let t = m / C;
  let i = m % C;
  var acc = 0.0;
  for (var bt = t; bt < params.rows; bt += params.seq_len) {
    acc += dout[bt * C + i];
  }
  dwpe[m] += acc;
}
