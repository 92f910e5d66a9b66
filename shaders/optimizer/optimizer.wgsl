// One optimizer step on every logit (CpuBackend.optimizerStep): Adam with the
// host's bias corrections, or SGD, on the clipped gradient. Raises the
// non-finite flag if a new logit is NaN/Inf or beyond ±logit_limit (the CPU
// engine's LOGIT_LIMIT: an overflowed run). One invocation per parameter.

struct Params {
  count: u32,
  // OPTIMIZER_ADAM or OPTIMIZER_SGD
  kind: u32,
  learning_rate: f32,
  beta1: f32,
  beta2: f32,
  // 1 - beta1 and 1 - beta2, formed in f64 by the host: in f32, 1 - 0.999 is off by 1.3e-5 relative.
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  // learning_rate / (1 - beta1^t)
  step_size: f32,
  // sqrt(1 - beta2^t)
  sqrt_bias2: f32,
  epsilon: f32,
  logit_limit: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> control: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> logits: array<f32>;
@group(0) @binding(4) var<storage, read_write> adam_m: array<f32>;
@group(0) @binding(5) var<storage, read_write> adam_v: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.count) {
    return;
  }
  let scale = bitcast<f32>(atomicLoad(&control[1]));
  var theta = logits[i];
  if (params.kind == OPTIMIZER_SGD) {
    theta -= params.learning_rate * scale * grad[i];
  } else {
    let g = grad[i] * scale;
    let m = params.beta1 * adam_m[i] + params.one_minus_beta1 * g;
    let v = params.beta2 * adam_v[i] + params.one_minus_beta2 * g * g;
    adam_m[i] = m;
    adam_v[i] = v;
    if (m != 0.0) {
      theta -= (params.step_size * m) / (sqrt(v) / params.sqrt_bias2 + params.epsilon);
    }
  }
  logits[i] = theta;
  if (!is_finite(theta) || abs(theta) > params.logit_limit) {
    atomicMax(&control[0], 1u);
  }
}
