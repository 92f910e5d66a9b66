// The output head's softmax_forward (ops.ts): probs = softmax(logits / temperature)
// per row and logZ = max/T + log Σ exp((z − max)/T), so log π(j) = z_j/T − logZ.
// One invocation per row (a character vocabulary), sums in vocabulary order.

struct Params {
  rows: u32,
  vocab: u32,
  temperature: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;
@group(0) @binding(3) var<storage, read_write> log_z: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= params.rows) {
    return;
  }
  let nv = params.vocab;
  let z = r * nv;
  let T = params.temperature;
  var mx = logits[z];
  for (var j = 1u; j < nv; j++) {
    mx = max(mx, logits[z + j]);
  }
  var sum = 0.0;
  for (var j = 0u; j < nv; j++) {
    let e = exp((logits[z + j] - mx) / T);
    probs[z + j] = e;
    sum += e;
  }
  for (var j = 0u; j < nv; j++) {
    probs[z + j] = probs[z + j] / sum;
  }
  log_z[r] = mx / T + log(sum);
}
