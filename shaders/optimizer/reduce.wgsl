// Deterministic sum of vec4 terms: invocation i adds CHUNK consecutive terms
// (compensated) and writes one partial sum; the host chains passes until one
// vec4 is left, written to output[out_index]. A fixed order and no atomics, so
// every run gives the same bits. No workgroup memory or barriers either: a
// barrier tree compiles ~20× slower on SwiftShader and buys nothing here.

struct Params {
  count: u32,
  // First term of the input to read (the input may be a range of a larger buffer).
  in_offset: u32,
  out_index: u32,
}

const CHUNK: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  df_one = f32(nwg.z); // see df64.wgsl: keeps the compensated sums compensated
  let i = flat_index(gid, nwg);
  let start = i * CHUNK;
  if (start >= params.count && !(i == 0u && params.count == 0u)) {
    return;
  }
  let end = min(start + CHUNK, params.count);
  var hi = vec4<f32>(0.0);
  var lo = vec4<f32>(0.0);
  for (var k = start; k < end; k++) {
    let x = input[params.in_offset + k];
    // Component-wise two-sum (Neumaier), written as in df64.wgsl: the rounding error of each addition goes to lo.
    let s = hi + x;
    let v = (s * df_one - hi) * df_one;
    lo += (hi - (s - v) * df_one) * df_one + (x - v);
    hi = s;
  }
  output[params.out_index + i] = hi + lo;
}
