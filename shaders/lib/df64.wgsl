// Library (prepended, not a kernel): "double-float" arithmetic, a value as an
// unevaluated sum hi + lo of two f32 (about 44 significant bits). The sampler
// uses it so its inverse-CDF comparison agrees with the CPU engine's f64 one
// except at exact ties (see sample_cdf.wgsl). Built on error-free transforms
// (Knuth's two-sum, Dekker's two-product) because WGSL's fma() is not
// guaranteed to be fused.
//
// Error-free transforms only work if the compiler evaluates them as written.
// Some do not: SwiftShader's optimiser reassociates (a + b) - a into b, so the
// rounding error of two-sum comes out as 0 and everything silently degrades to
// f32. The differences are therefore multiplied by df_one, which every kernel
// that relies on these functions sets first to f32(num_workgroups.z): always
// 1.0 (the host dispatches 2-D grids), but a value the compiler cannot see
// through (the same trick as luma.gl's fp64 ONE uniform).
var<private> df_one: f32 = 1.0;

fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let v = (s * df_one - a) * df_one;
  return vec2<f32>(s, (a - (s - v) * df_one) * df_one + (b - v));
}

fn quick_two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  return vec2<f32>(s, b - (s * df_one - a) * df_one);
}

// a = hi + lo with 12 significant bits each, so products of halves are exact.
// By masking mantissa bits rather than Veltkamp's c - (c - a) with c = 4097a:
// there is no arithmetic for an optimiser to rewrite or contract.
fn split(a: f32) -> vec2<f32> {
  let hi = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  return vec2<f32>(hi, a - hi);
}

fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let p = a * b;
  let sa = split(a);
  let sb = split(b);
  let err = (((sa.x * sb.x) * df_one - p) * df_one + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
  return vec2<f32>(p, err);
}

fn df_add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let s = two_sum(a.x, b.x);
  let t = two_sum(a.y, b.y);
  var r = quick_two_sum(s.x, s.y + t.x);
  return quick_two_sum(r.x, r.y + t.y);
}

fn df_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let p = two_prod(a.x, b.x);
  return quick_two_sum(p.x, p.y + (a.x * b.y + a.y * b.x));
}

fn df_mul_f(a: vec2<f32>, b: f32) -> vec2<f32> {
  let p = two_prod(a.x, b);
  return quick_two_sum(p.x, p.y + a.y * b);
}

// a / b for a double-float numerator and denominator (long division, two corrections).
fn df_div(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let q1 = a.x / b.x;
  let r1 = df_add(a, -df_mul_f(b, q1));
  let q2 = r1.x / b.x;
  let r2 = df_add(r1, -df_mul_f(b, q2));
  let q3 = r2.x / b.x;
  return df_add(quick_two_sum(q1, q2), vec2<f32>(q3, 0.0));
}

fn df_lt(a: vec2<f32>, b: vec2<f32>) -> bool {
  return a.x < b.x || (a.x == b.x && a.y < b.y);
}

const DF_LN2 = vec2<f32>(0.69314718246459961, -1.9046543231482360e-9);
const DF_SIXTH = vec2<f32>(0.16666667163372040, -4.9670537405344106e-9);
const DF_24TH = vec2<f32>(0.041666667908430099, -1.2417634351336027e-9);

// e^a for a <= 0, to about 1e-13 relative. Returns exactly 1 for a == 0, so a
// uniform row gives exactly representable cumulative sums (ties then agree
// with the CPU engine, which gets the same exact values in f64).
fn df_exp_nonpositive(a: vec2<f32>) -> vec2<f32> {
  if (a.x == 0.0 && a.y == 0.0) {
    return vec2<f32>(1.0, 0.0);
  }
  // Below this, e^a is under f32's smallest normal: the token has no mass on the
  // GPU (on the CPU it has ~1e-38, which no 24-bit draw can land on).
  if (a.x < -87.0) {
    return vec2<f32>(0.0, 0.0);
  }
  let k = round(a.x * 1.4426950216293335);
  let r = df_add(a, -df_mul_f(DF_LN2, k));
  // e^r = (e^(r/256))^256: the Taylor series of e^s - 1 to s^5 is exact to
  // ~1e-20 for |s| < 0.0014, and squaring keeps e^s - 1 (not e^s) to avoid cancellation.
  let s = r * (1.0 / 256.0);
  var q = df_add(DF_24TH, vec2<f32>(s.x * (1.0 / 120.0), 0.0));
  q = df_add(DF_SIXTH, df_mul(s, q));
  q = df_add(vec2<f32>(0.5, 0.0), df_mul(s, q));
  q = df_add(vec2<f32>(1.0, 0.0), df_mul(s, q));
  var em1 = df_mul(s, q);
  for (var i = 0u; i < 8u; i++) {
    em1 = df_mul(em1, df_add(vec2<f32>(2.0, 0.0), em1));
  }
  let er = df_add(vec2<f32>(1.0, 0.0), em1);
  let ki = i32(k);
  return vec2<f32>(ldexp(er.x, ki), ldexp(er.y, ki));
}
