// The table models' forward per visit: what the objective kernels read of the
// policy (shaders/objectives/ never index the table). For every (answer n,
// position t < its length), from the row statistics row_stats.wgsl made at
// temperature T:
// visits[n*L + t] = (log π(token), log π(token) - log π_ref(token), H(π), KL(π ‖ π_ref)),
// and, when asked (SFT's token accuracy), greedy[n*L + t] = the first most likely token.
// Positions at or after the length are not written (no objective reads them).
// One invocation per answer. The expressions are the ones the objective kernels
// used to evaluate themselves, so the values are bit for bit the same.

struct Params {
  temperature: f32,
  count: u32,
  with_greedy: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> ref_logits: array<f32>;
@group(0) @binding(3) var<storage, read> rows: array<vec4<f32>>;
// batch = [prompt of each answer (count) | length (count) | tokens (count × L)], one buffer
// so kernels stay within 8 storage buffers per stage (WebGPU's default limit).
@group(0) @binding(4) var<storage, read> batch: array<u32>;
@group(0) @binding(5) var<storage, read_write> visits: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> greedy: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= params.count) {
    return;
  }
  let T = params.temperature;
  let p = batch[n];
  let len = batch[params.count + n];
  var prev = EOS;
  for (var t = 0u; t < len; t++) {
    let v = n * L + t;
    let tok = batch[2u * params.count + v];
    let r = row_index(p, t, prev);
    prev = tok;
    let st = rows[r];
    let ref_row = rows[ROWS + r];
    let z = logits[r * V + tok];
    let logp = scaled_logit(z, st.x, T) - st.z;
    let gap = log_ratio_to_reference(z, ref_logits[r * V + tok], st, ref_row, T);
    visits[v] = vec4<f32>(logp, gap, st.w, ref_row.z);
    if (params.with_greedy != 0u) {
      var best = 0u;
      for (var j = 1u; j < V; j++) {
        if (logits[r * V + j] > logits[r * V + best]) {
          best = j;
        }
      }
      greedy[v] = best;
    }
  }
}
