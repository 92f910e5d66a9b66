// Cumulative softmax weights of every row at the sampling temperature, in
// double-float (df64.wgsl), for the sampler's inverse CDF. One invocation per row.
//
// Why double-float: the CPU engine picks the first token j with u < Σ_{k≤j} π_k
// in f64. With f32 (and WGSL's exp, accurate to a few ulp) the boundaries would
// move by ~1e-7, and a draw would land between the CPU's and the GPU's boundary
// about once in 10^5. With ~1e-13 error a mismatch needs a draw within 1e-13 of
// a boundary, which for 24-bit draws means an exact tie, and exact ties come
// out the same on both sides (see df_exp_nonpositive).
// cdf[r*V + j] = Σ_{k≤j} exp((z_k - max)/T) as (hi, lo); the last entry is the row's total.

struct Params {
  // The temperature as a double-float, so (z - max)/T rounds like the CPU's f64 division.
  temperature_hi: f32,
  temperature_lo: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> cdf: array<vec2<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  df_one = f32(nwg.z); // see df64.wgsl: an opaque 1.0 keeps the error-free transforms exact
  let r = flat_index(gid, nwg);
  if (r >= ROWS) {
    return;
  }
  let T = vec2<f32>(params.temperature_hi, params.temperature_lo);
  let base = r * V;
  var m = logits[base];
  for (var j = 1u; j < V; j++) {
    m = max(m, logits[base + j]);
  }
  var acc = vec2<f32>(0.0, 0.0);
  for (var j = 0u; j < V; j++) {
    // z - max is exact as a two-sum of two f32 values, as it is in f64.
    let diff = two_sum(logits[base + j], -m);
    acc = df_add(acc, df_exp_nonpositive(df_div(diff, T)));
    cdf[base + j] = acc;
  }
}
