// Draws one answer per row of prompt_of by inverse CDF, with the counter-based
// PRNG keyed by (seed, stream, step, sample, position): the same tokens as the
// CPU engine. One invocation per answer; positions after EOS are EOS, as in the
// CPU engine's zero-initialised token array.

struct Params {
  seed: u32,
  stream: u32,
  step: u32,
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cdf: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> prompt_of: array<u32>;
// batch = [prompt of each answer (count) | length (count) | tokens (count × L)], one buffer
// so kernels stay within 8 storage buffers per stage (WebGPU's default limit).
@group(0) @binding(3) var<storage, read_write> batch: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  df_one = f32(nwg.z); // see df64.wgsl: an opaque 1.0 keeps the error-free transforms exact
  let n = flat_index(gid, nwg);
  if (n >= params.count) {
    return;
  }
  let p = prompt_of[n];
  batch[n] = p;
  let token_base = 2u * params.count + n * L;
  let draws = draw_prefix(params.seed, params.stream, params.step, n);
  var prev = EOS;
  var len = L;
  var t = 0u;
  for (; t < L; t++) {
    let base = row_index(p, t, prev) * V;
    let u = u32_to_unit(draw_at(draws, t));
    // u < cum_j / total  ⇔  u · total < cum_j: no division, and exact for exact ties.
    let target_mass = df_mul_f(cdf[base + V - 1u], u);
    // The first j with target < cum_j, by binary search (cum is non-decreasing).
    var low = 0u;
    var high = V;
    while (low < high) {
      let mid = (low + high) / 2u;
      if (df_lt(target_mass, cdf[base + mid])) {
        high = mid;
      } else {
        low = mid + 1u;
      }
    }
    var tok = low;
    if (tok == V) {
      // Rounding left u above the total: the last token with mass, as the CPU engine does.
      tok = 0u;
      var before = vec2<f32>(0.0, 0.0);
      for (var j = 0u; j < V; j++) {
        if (df_lt(before, cdf[base + j])) {
          tok = j;
        }
        before = cdf[base + j];
      }
    }
    batch[token_base + t] = tok;
    if (tok == EOS) {
      len = t + 1u;
      t++;
      break;
    }
    prev = tok;
  }
  for (; t < L; t++) {
    batch[token_base + t] = EOS;
  }
  batch[params.count + n] = len;
}
