// encoder_forward for one decode step of sampling (the KV-cache path of
// sample() in src/gpu/transformer/policy.ts, decode() in
// src/models/transformer/sampling.ts): for answer position `position` ≥ 1,
// sequence n's new position is plen + position − 1 (plen = its prompt with the
// separator) and its token is the answer token drawn last. out is compact,
// [count][C]: out[n] = wte[token] + wpe[pos], the same sum as
// encoder_forward.wgsl. One invocation per element.

struct Params {
  count: u32,
  channels: u32,
  position: u32,
  use_wpe: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> batch: array<u32>;
@group(0) @binding(2) var<storage, read> prompt_of: array<u32>;
@group(0) @binding(3) var<storage, read> prompts: array<u32>;
@group(0) @binding(4) var<storage, read> wte: array<f32>;
@group(0) @binding(5) var<storage, read> wpe: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_index(gid, nwg);
  let C = params.channels;
  let N = params.count;
  if (e >= N * C) {
    return;
  }
  let n = e / C;
  let i = e % C;
  let t = params.position;
  let plen = prompts[PROMPTS + prompt_of[n]];
  let tok = batch[2u * N + n * L + t - 1u];
  var x = wte[tok * C + i];
  if (params.use_wpe != 0u) {
    x += wpe[(plen + t - 1u) * C + i];
  }
  out[e] = x;
}
