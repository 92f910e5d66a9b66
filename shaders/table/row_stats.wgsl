// Softmax statistics of every row of the current and the reference logits at
// one temperature (RowCache.ensure in src/engine/policies/table.ts), plus the exact
// KL(π ‖ π_ref) of the row. One invocation per row.
// rows[r] = (max, Σexp, log Σexp, entropy) of π;
// rows[ROWS + r] = (max, log Σexp of π_ref, KL, δ = log Σexp(π) - log Σexp(π_ref)).
// δ and the KL are formed from per-token gaps (scaled_logit_gap), not as
// differences of log-probs: π stays close to π_ref, and f32 log-probs would
// cancel to noise at the 1e-5 relative the CPU parity asks.

struct Params {
  temperature: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> ref_logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> rows: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= ROWS) {
    return;
  }
  let T = params.temperature;
  let base = r * V;
  var m = logits[base];
  var rm = ref_logits[base];
  for (var j = 1u; j < V; j++) {
    m = max(m, logits[base + j]);
    rm = max(rm, ref_logits[base + j]);
  }
  var s = 0.0;
  var rs = 0.0;
  // Σ_j e^(x_ref,j) (e^(d_j) - 1) = Σexp(π) - Σexp(π_ref), without the cancellation.
  var sum_gap = 0.0;
  for (var j = 0u; j < V; j++) {
    s += exp(scaled_logit(logits[base + j], m, T));
    let w_ref = exp(scaled_logit(ref_logits[base + j], rm, T));
    rs += w_ref;
    sum_gap += w_ref * expm1_(scaled_logit_gap(logits[base + j], ref_logits[base + j], m, rm, T));
  }
  let ls = log(s);
  let rls = log(rs);
  let delta = log1p_(sum_gap / rs);
  var h = 0.0;
  var kl = 0.0;
  for (var j = 0u; j < V; j++) {
    let x = scaled_logit(logits[base + j], m, T);
    let p = exp(x) / s;
    if (p > 0.0) {
      h -= p * (x - ls);
      kl += p * (scaled_logit_gap(logits[base + j], ref_logits[base + j], m, rm, T) - delta);
    }
  }
  rows[r] = vec4<f32>(m, s, ls, h);
  rows[ROWS + r] = vec4<f32>(rm, rls, kl, delta);
}
