// Exact KL(π ‖ π_ref) and entropy of the states a measurement batch visits
// (measureVisits in src/engine/objectives/cpu.ts, used by DPO and SFT). One invocation per answer;
// terms[n] = (0, 0, Σ KL of the states it visits, Σ entropy of those states).

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// batch = [prompt of each answer (count) | length (count) | tokens (count × L)]
@group(0) @binding(1) var<storage, read> batch: array<u32>;
// The policy model's per-visit statistics at T = 1 (see visit_stats.wgsl).
@group(0) @binding(2) var<storage, read> visits: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> terms: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= params.count) {
    return;
  }
  let len = batch[params.count + n];
  var sums = vec4<f32>(0.0);
  for (var t = 0u; t < len; t++) {
    let vs = visits[n * L + t];
    sums += vec4<f32>(0.0, 0.0, vs.w, vs.z);
  }
  terms[n] = sums;
}
