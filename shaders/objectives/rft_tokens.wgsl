// The per-token terms of the RFT loss for one optimisation iteration (the inner
// loop of rftUpdate in src/engine/objectives/cpu.ts). One invocation per answer, walking its positions
// (one per (answer, position) was 5x slower on SwiftShader: per-invocation overhead).
// Writes u = ∂L/∂log π(token) and the entropy weight for the gradient
// (accumulate.wgsl), and per answer the sums of (w·token loss, clipped?, KL of
// the visited state, its entropy) for the step metrics (reduce.wgsl); summing in
// registers rather than storing a vec4 per token halves the kernel's time. Iteration 0 also stores the
// sampling policy's log-probs, so its ratio is exactly 1 as on the CPU.

struct Params {
  count: u32,
  iteration: u32,
  // LOSS_GRPO, LOSS_DAPO or LOSS_DR_GRPO (TRL loss_type; generated header)
  loss_type: u32,
  token_count: f32,
  clip_low: f32,
  clip_high: f32,
  beta: f32,
  entropy_coef: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
// batch = [prompt of each answer (count) | length (count) | tokens (count × L)]
@group(0) @binding(1) var<storage, read> batch: array<u32>;
// The policy model's per-visit statistics at the sampling temperature
// (log π, log π - log π_ref, H, KL), indexed n*L + t: see visit_stats.wgsl.
@group(0) @binding(2) var<storage, read> visits: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> advantages: array<f32>;
@group(0) @binding(4) var<storage, read_write> old_logp: array<f32>;
@group(0) @binding(5) var<storage, read_write> visit_grad: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> terms: array<vec4<f32>>;

fn token_weight(len: u32) -> f32 {
  let N = f32(params.count);
  if (params.loss_type == LOSS_GRPO) {
    return 1.0 / (f32(len) * N);
  }
  if (params.loss_type == LOSS_DAPO) {
    return 1.0 / params.token_count;
  }
  return 1.0 / (N * f32(L));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= params.count) {
    return;
  }
  let len = batch[params.count + n];
  let A = advantages[n];
  let w = token_weight(len);
  let lo = params.clip_low;
  let hi = params.clip_high;
  var answer_terms = vec4<f32>(0.0);
  for (var t = 0u; t < L; t++) {
    let v = n * L + t;
    if (t >= len) {
      visit_grad[v] = vec2<f32>(0.0, 0.0);
      continue;
    }
    let vs = visits[v];
    let logp = vs.x;
    if (params.iteration == 0u) {
      old_logp[v] = logp;
    }
    let d = logp - old_logp[v];
    var ratio = 1.0;
    if (d != 0.0) {
      ratio = exp(d);
    }
    let unclipped = ratio * A;
    let clipped_obj = clamp(ratio, lo, hi) * A;
    // PPO: the gradient flows through the smaller objective; it is zero where the clip binds.
    let use_unclipped = unclipped <= clipped_obj;
    var token_loss = -select(clipped_obj, unclipped, use_unclipped);
    var u = select(0.0, -w * A * ratio, use_unclipped);
    let clipped = (ratio < lo && A < 0.0) || (ratio > hi && A > 0.0);
    if (params.beta > 0.0) {
      let q = -vs.y; // log π_ref - log π
      token_loss += params.beta * exp_minus_1_minus_x(q); // k3 estimator of KL(π ‖ π_ref): e^q - q - 1
      u -= w * params.beta * expm1_(q); // w β (1 - e^q)
    }
    var token_term = w * token_loss;
    var ent_weight = 0.0;
    if (params.entropy_coef > 0.0) {
      // TRL's entropy bonus is the mean entropy over every answer token, whatever loss_type averages the policy term.
      ent_weight = params.entropy_coef / params.token_count;
      token_term -= ent_weight * vs.z;
    }
    visit_grad[v] = vec2<f32>(u, ent_weight);
    answer_terms += vec4<f32>(token_term, select(0.0, 1.0, clipped), vs.w, vs.z);
  }
  terms[n] = answer_terms;
}
