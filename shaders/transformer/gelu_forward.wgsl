// gelu_forward (ops.ts), GPT-2's tanh form: 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).
// The tanh argument is clamped to ±15, where tanh is ±1 in f32 anyway: some
// implementations compute tanh through exp and give NaN for large arguments.

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

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
  out[n] = 0.5 * x * (1.0 + th);
}
