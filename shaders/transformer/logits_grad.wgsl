// From the objectives' upstream per visit, visit_grad[v] = (u = ∂L/∂log π(token), e),
// e the entropy bonus's weight as rft_tokens.wgsl writes it (entropy_coef /
// token_count: e = −∂L/∂H, the sign the tables' grad_rows.wgsl adds it with),
// to ∂L/∂z of every row of the forward (z the raw logits), written (not
// added): 0 on rows that are no visit, else, in the CPU adapter's order
// (model.ts addEntropyGradient, then ops.ts logsoftmax_backward):
//   d_j = −(∂L/∂H / T)·π_j·(log π_j + H)   (when e ≠ 0 and π_j > 0),
//   d_j −= (u / T)·π_j, d_token += u / T  (when u ≠ 0).
// One invocation per row.

struct Params {
  count: u32,
  seq_len: u32,
  temperature: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> batch: array<u32>;
@group(0) @binding(2) var<storage, read> prompts: array<u32>;
@group(0) @binding(3) var<storage, read> visit_grad: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read> logits: array<f32>;
@group(0) @binding(5) var<storage, read> probs: array<f32>;
@group(0) @binding(6) var<storage, read> log_z: array<f32>;
@group(0) @binding(7) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  let N = params.count;
  let S = params.seq_len;
  if (r >= N * S) {
    return;
  }
  let n = r / S;
  let pos = r % S;
  let z = r * V;
  let start = prompts[PROMPTS + batch[n]] - 1u;
  let len = batch[N + n];
  if (pos < start || pos - start >= len) {
    for (var j = 0u; j < V; j++) {
      dlogits[z + j] = 0.0;
    }
    return;
  }
  let T = params.temperature;
  let v = n * L + pos - start;
  let g = visit_grad[v];
  let tok = batch[2u * N + v];
  let lz = log_z[r];
  var h = 0.0;
  if (g.y != 0.0) {
    for (var j = 0u; j < V; j++) {
      let p = probs[z + j];
      if (p > 0.0) {
        h -= p * (logits[z + j] / T - lz);
      }
    }
  }
  let ke = -g.y / T; // ∂L/∂H / T
  let k = g.x / T;
  for (var j = 0u; j < V; j++) {
    let p = probs[z + j];
    var d = 0.0;
    if (g.y != 0.0 && p > 0.0) {
      d = -(ke * p * (logits[z + j] / T - lz + h));
    }
    if (g.x != 0.0) {
      d -= k * p;
      if (j == tok) {
        d += k;
      }
    }
    dlogits[z + j] = d;
  }
}
