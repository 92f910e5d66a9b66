// DPO (dpoUpdate in src/engine/objectives/cpu.ts, formulas in objectives/dpo.ts): per preference pair,
// the sequence log-probs under π and π_ref (at temperature 1), the loss and its
// derivative, and the upstream u of every token of both answers. One
// invocation per pair k; sequences are chosen k at index k, rejected at K + k.
// terms[k] = (loss, reward chosen, reward rejected, chosen wins?), terms[K + k] = (logp chosen, logp rejected, 0, 0).

struct Params {
  count: u32,
  // 0 sigmoid, 1 ipo, 2 hinge, 3 robust, 4 cdpo
  loss_type: u32,
  beta: f32,
  label_smoothing: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
// batch = [prompt of each answer (count) | length (count) | tokens (count × L)]
@group(0) @binding(1) var<storage, read> batch: array<u32>;
// The policy model's per-visit statistics at T = 1 (see visit_stats.wgsl).
@group(0) @binding(2) var<storage, read> visits: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> visit_grad: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> terms: array<vec4<f32>>;

fn softplus(x: f32) -> f32 {
  return max(x, 0.0) + log1p_(exp(-abs(x)));
}

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) {
    return 1.0 / (1.0 + exp(-x));
  }
  let e = exp(x);
  return e / (1.0 + e);
}

fn seq_count() -> u32 {
  return 2u * params.count;
}

// (Σ log π(token), Σ (log π(token) - log π_ref(token))) of sequence s. The
// difference is summed per token, not as a difference of sums: a token whose
// row is unchanged then adds exactly 0, so answers that differ only in such
// tokens tie exactly (rewards/accuracies counts a tie as a loss), as in f64.
fn sequence_logps(s: u32) -> vec2<f32> {
  var cur = 0.0;
  var gain = 0.0;
  for (var t = 0u; t < batch[seq_count() + s]; t++) {
    let vs = visits[s * L + t];
    cur += vs.x;
    gain += vs.y;
  }
  return vec2<f32>(cur, gain);
}

fn write_upstream(s: u32, u: f32) {
  for (var t = 0u; t < L; t++) {
    visit_grad[s * L + t] = vec2<f32>(select(0.0, u, t < batch[seq_count() + s]), 0.0);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  let K = params.count;
  if (k >= K) {
    return;
  }
  let ipo = params.loss_type == DPO_IPO;
  // IPO compares per-token means of the log-ratios (as TRL does); the others compare sums.
  // The logged rewards and log-probs are sums for every loss type, as in TRL.
  let norm_c = select(1.0, 1.0 / f32(batch[seq_count() + k]), ipo);
  let norm_r = select(1.0, 1.0 / f32(batch[seq_count() + K + k]), ipo);
  let c = sequence_logps(k);
  let r = sequence_logps(K + k);
  let h = c.y * norm_c - r.y * norm_r;
  let beta = params.beta;
  let ls = params.label_smoothing;
  let x = beta * h;
  var loss = 0.0;
  var dldh = 0.0;
  switch (params.loss_type) {
    case DPO_SIGMOID: {
      loss = softplus(-x);
      dldh = -beta * sigmoid(-x);
    }
    case DPO_CDPO: {
      loss = (1.0 - ls) * softplus(-x) + ls * softplus(x);
      dldh = beta * (-(1.0 - ls) * sigmoid(-x) + ls * sigmoid(x));
    }
    case DPO_ROBUST: {
      loss = ((1.0 - ls) * softplus(-x) - ls * softplus(x)) / (1.0 - 2.0 * ls);
      dldh = (beta * (-(1.0 - ls) * sigmoid(-x) - ls * sigmoid(x))) / (1.0 - 2.0 * ls);
    }
    case DPO_HINGE: {
      if (1.0 - x > 0.0) {
        loss = 1.0 - x;
        dldh = -beta;
      }
    }
    default: { // DPO_IPO
      let d = h - 1.0 / (2.0 * beta);
      loss = d * d;
      dldh = 2.0 * d;
    }
  }
  let g = dldh / f32(K);
  write_upstream(k, g * norm_c);
  write_upstream(K + k, -g * norm_r);
  let reward_c = beta * c.y;
  let reward_r = beta * r.y;
  terms[k] = vec4<f32>(loss, reward_c, reward_r, select(0.0, 1.0, reward_c > reward_r));
  terms[K + k] = vec4<f32>(c.x, r.x, 0.0, 0.0);
}
