// logsoftmax_backward (ops.ts): dlogits += (u/T)·(onehot(target) − π) for the
// upstream u = ∂L/∂log π(target) of each scored row (target ≥ 0, u ≠ 0). One
// invocation per element, in ops.ts's order: subtract k·π, then add k at the target.

struct Params {
  rows: u32,
  vocab: u32,
  temperature: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dlogprob: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  let nv = params.vocab;
  if (n >= params.rows * nv) {
    return;
  }
  let r = n / nv;
  let j = n % nv;
  let a = targets[r];
  let u = dlogprob[r];
  if (a < 0i || u == 0.0) {
    return;
  }
  let k = u / params.temperature;
  var d = dlogits[n] - k * probs[n];
  if (i32(j) == a) {
    d += k;
  }
  dlogits[n] = d;
}
