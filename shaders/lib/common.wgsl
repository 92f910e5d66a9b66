// Library (prepended to every kernel, after prng and df64): numerics that any
// kernel may need, whatever the policy model. The generated header
// (src/gpu/kernels.ts) defines WG, V (vocabulary), L (max_len), PROMPTS, the
// enum constants and the objectives' epsilons.

// Invocation index of a 1-D problem dispatched as a 2-D grid (when it needs
// more workgroups than maxComputeWorkgroupsPerDimension).
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn is_finite(x: f32) -> bool {
  // Exponent bits all ones = Inf or NaN; a bit test cannot be optimised away like x != x.
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// Neumaier-compensated running sum: x = sum, y = compensation. Long per-row sums
// (thousands of visits) then stay accurate to ~1 ulp, which the CANCEL_EPS rule needs.
fn comp_add(acc: vec2<f32>, x: f32) -> vec2<f32> {
  let s = two_sum(acc.x, x);
  return vec2<f32>(s.x, acc.y + s.y);
}

// e^x - 1 and e^x - 1 - x without cancellation. WGSL has no expm1, and
// exp(x) - 1 in f32 loses ~1e-7/|x| relative, which for the KL penalty's small
// log-ratios is far above the 1e-5 the CPU parity asks. Below |x| = 0.5 a
// Taylor series (terms to x^12: error < 1e-12 relative) has no cancellation.
fn exp_minus_1_minus_x(x: f32) -> f32 {
  if (abs(x) >= 0.5) {
    return (exp(x) - 1.0) - x;
  }
  // 1/k! for k = 2..12; Horner from the highest power.
  let inv_factorial = array<f32, 11>(5.000000000e-01, 1.666666667e-01, 4.166666667e-02, 8.333333333e-03, 1.388888889e-03, 1.984126984e-04, 2.480158730e-05, 2.755731922e-06, 2.755731922e-07, 2.505210839e-08, 2.087675699e-09);
  var sum = inv_factorial[10];
  for (var i = 9i; i >= 0i; i--) {
    sum = sum * x + inv_factorial[i];
  }
  return sum * x * x;
}

fn expm1_(x: f32) -> f32 {
  if (abs(x) >= 0.5) {
    return exp(x) - 1.0;
  }
  return exp_minus_1_minus_x(x) + x;
}

// log(1 + x) accurate for small x (WGSL has no log1p): Goldberg's correction.
fn log1p_(x: f32) -> f32 {
  let y = 1.0 + x;
  if (y == 1.0) {
    return x;
  }
  return log(y) * x / (y - 1.0);
}
