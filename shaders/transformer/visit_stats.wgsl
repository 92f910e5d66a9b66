// The transformer's per-visit statistics, what the objective kernels read
// (src/gpu/policies/types.ts): for answer n, position t < its length, at row
// bt = n·seq_len + start + t of the forward (start: the separator's position),
// visits[n·L + t] = (log π(token), log π(token) − log π_ref(token), H(π), KL(π ‖ π_ref))
// with log π_j = z_j / T − log Z, from the policy's and the reference's
// forward over the same batch (logits and log_z hold both: the reference's
// at ref_offset / ref_z_offset), and greedy[n·L + t] = the first largest
// logit when asked. The expressions of the CPU adapter
// (src/engine/policies/transformer.ts: logProbAt, entropy, klToReference),
// in f32. One invocation per visit; positions at or after the length are not written.

struct Params {
  count: u32,
  seq_len: u32,
  temperature: f32,
  ref_offset: u32,
  ref_z_offset: u32,
  with_greedy: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> batch: array<u32>;
@group(0) @binding(2) var<storage, read> prompts: array<u32>;
@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read> probs: array<f32>;
@group(0) @binding(5) var<storage, read> log_z: array<f32>;
@group(0) @binding(6) var<storage, read_write> visits: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> greedy: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let v = flat_index(gid, nwg);
  let N = params.count;
  if (v >= N * L) {
    return;
  }
  let n = v / L;
  let t = v % L;
  if (t >= batch[N + n]) {
    return;
  }
  let T = params.temperature;
  let start = prompts[PROMPTS + batch[n]] - 1u;
  let bt = n * params.seq_len + start + t;
  let tok = batch[2u * N + v];
  let z = bt * V;
  let zr = params.ref_offset + bt * V;
  let lz = log_z[bt];
  let lz_gap = lz - log_z[params.ref_z_offset + bt];
  var h = 0.0;
  var kl = 0.0;
  var best = 0u;
  for (var j = 0u; j < V; j++) {
    let p = probs[z + j];
    if (p > 0.0) {
      h -= p * (logits[z + j] / T - lz);
      kl += p * ((logits[z + j] - logits[zr + j]) / T - lz_gap);
    }
    if (logits[z + j] > logits[z + best]) {
      best = j;
    }
  }
  let logp = logits[z + tok] / T - lz;
  let gap = (logits[z + tok] - logits[zr + tok]) / T - lz_gap;
  visits[v] = vec4<f32>(logp, gap, h, kl);
  if (params.with_greedy != 0u) {
    greedy[v] = best;
  }
}
