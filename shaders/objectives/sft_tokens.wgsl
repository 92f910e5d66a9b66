// SFT (sftUpdate in src/engine/objectives/cpu.ts): per demonstration token, u = -1/token count,
// the negative log-likelihood and whether the greedy prediction (the first
// highest logit, from the policy model) is the demonstrated token. One invocation per demonstration;
// terms[n] = (Σ nll, Σ correct?, 0, 0) over its tokens.

struct Params {
  count: u32,
  token_count: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
// batch = [prompt of each answer (count) | length (count) | tokens (count × L)]
@group(0) @binding(1) var<storage, read> batch: array<u32>;
// The policy model's per-visit statistics at T = 1 and greedy predictions (see visit_stats.wgsl).
@group(0) @binding(2) var<storage, read> visits: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> greedy: array<u32>;
@group(0) @binding(4) var<storage, read_write> visit_grad: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> terms: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= params.count) {
    return;
  }
  let len = batch[params.count + n];
  let u = -1.0 / params.token_count;
  var sums = vec4<f32>(0.0);
  for (var t = 0u; t < L; t++) {
    let v = n * L + t;
    if (t >= len) {
      visit_grad[v] = vec2<f32>(0.0, 0.0);
      continue;
    }
    let tok = batch[2u * params.count + v];
    let logp = visits[v].x;
    visit_grad[v] = vec2<f32>(u, 0.0);
    sums += vec4<f32>(-logp, select(0.0, 1.0, greedy[v] == tok), 0.0, 0.0);
  }
  terms[n] = sums;
}
