// encoder_forward (src/models/transformer/ops.ts): out[bt] = wte[token] + wpe[t],
// wpe left out (use_wpe = 0) for rotary positions. One invocation per element.

struct Params {
  rows: u32,
  seq_len: u32,
  channels: u32,
  use_wpe: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> tokens: array<i32>;
@group(0) @binding(2) var<storage, read> wte: array<f32>;
@group(0) @binding(3) var<storage, read> wpe: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  let C = params.channels;
  if (n >= params.rows * C) {
    return;
  }
  let bt = n / C;
  let i = n % C;
  var x = wte[u32(tokens[bt]) * C + i];
  if (params.use_wpe != 0u) {
    x += wpe[(bt % params.seq_len) * C + i];
  }
  out[n] = x;
}
