// gelu_backward (ops.ts): dinp += gelu'(x)·dout, sech² written as 1 − tanh²
// (1/cosh² overflows for large |x|); the tanh argument clamped as in gelu_forward.

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read_write> dinp: array<f32>;

const GELU_SCALING_FACTOR: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= params.count) {
    return;
  }
  let x = inp[n];
  let th = tanh(clamp(GELU_SCALING_FACTOR * (x + GELU_CUBIC * x * x * x), -15.0, 15.0));
  let sech2 = 1.0 - th * th;
  let local = 0.5 * (1.0 + th) + 0.5 * x * sech2 * GELU_SCALING_FACTOR * (1.0 + 3.0 * GELU_CUBIC * x * x);
  dinp[n] += local * dout[n];
}
