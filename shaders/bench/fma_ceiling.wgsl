// Benchmark probe, not a kernel of the product (src/gpu/shaders.ts leaves
// shaders/bench/ out of the build): the adapter's arithmetic ceiling. Each
// invocation runs matmul_forward's direct inner loop (a 4 × 4 block of
// outputs, 16 multiply-adds per step of k) with every operand already in
// registers, so no storage load is made: no real kernel of the same shape can
// run faster. `steps` is a uniform, so the compiler cannot fold the loop, and
// the sum is stored, so it cannot drop it.

struct Params {
  invocations: u32,
  steps: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= params.invocations) {
    return;
  }
  let x = vec4<f32>(f32(n & 7u) * 0.01, 0.25, 0.125, 0.0625);
  let w = vec4<f32>(0.999, 1.0001, 0.998, 1.0002);
  var a0 = x;
  var a1 = x.yzwx;
  var a2 = x.zwxy;
  var a3 = x.wxyz;
  for (var k = 0u; k < params.steps; k++) {
    a0 = a0 * w + x.x;
    a1 = a1 * w + x.y;
    a2 = a2 * w + x.z;
    a3 = a3 * w + x.w;
  }
  out[n] = a0.x + a1.y + a2.z + a3.w;
}
