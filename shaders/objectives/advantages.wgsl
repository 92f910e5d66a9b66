// RFT advantages (src/engine/objectives/advantages.ts), one invocation per group of G
// candidates. grpo: (r - group mean) / (std + STD_EPS), with the group's std, the
// batch's, or no scaling; rloo: r - mean of the other G - 1; reinforce:
// r - baseline. The two batch-level scalars (the REINFORCE moving-average
// baseline, which is state carried across steps, and the batch std) come from
// the host, which has the rewards in f64 anyway; they arrive as hi + lo f32.
// A group whose rewards are all equal gets exactly zero.

struct Params {
  count: u32,
  group_size: u32,
  // ADVANTAGE_GRPO, ADVANTAGE_RLOO or ADVANTAGE_REINFORCE (generated header)
  estimator: u32,
  // SCALE_GROUP, SCALE_BATCH or SCALE_NONE
  scale_rewards: u32,
  baseline_hi: f32,
  baseline_lo: f32,
  batch_std_hi: f32,
  batch_std_lo: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rewards: array<f32>;
@group(0) @binding(2) var<storage, read_write> advantages: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  df_one = f32(nwg.z); // see df64.wgsl: keeps the compensated sums compensated
  let g = flat_index(gid, nwg);
  let N = params.count;
  let G = params.group_size;
  let start = g * G;
  if (start >= N) {
    return;
  }
  let end = min(start + G, N);
  if (params.estimator == ADVANTAGE_REINFORCE) {
    for (var i = start; i < end; i++) {
      advantages[i] = (rewards[i] - params.baseline_hi) - params.baseline_lo;
    }
    return;
  }
  let size = end - start;
  var constant = true;
  var sum = vec2<f32>(0.0, 0.0);
  for (var i = start; i < end; i++) {
    constant = constant && rewards[i] == rewards[start];
    sum = comp_add(sum, rewards[i]);
  }
  if (constant || size < 2u) {
    for (var i = start; i < end; i++) {
      advantages[i] = 0.0;
    }
    return;
  }
  let total = sum.x + sum.y;
  let mean = total / f32(size);
  if (params.estimator == ADVANTAGE_RLOO) {
    for (var i = start; i < end; i++) {
      advantages[i] = rewards[i] - (total - rewards[i]) / f32(size - 1u);
    }
    return;
  }
  var scale = 1.0;
  if (params.scale_rewards == SCALE_GROUP) {
    var sq = vec2<f32>(0.0, 0.0);
    for (var i = start; i < end; i++) {
      let d = rewards[i] - mean;
      sq = comp_add(sq, d * d);
    }
    scale = 1.0 / (sqrt((sq.x + sq.y) / f32(size - 1u)) + STD_EPS);
  } else if (params.scale_rewards == SCALE_BATCH) {
    scale = 1.0 / ((params.batch_std_hi + params.batch_std_lo) + STD_EPS);
  }
  for (var i = start; i < end; i++) {
    advantages[i] = (rewards[i] - mean) * scale;
  }
}
