// Library (prepended, not a kernel): the counter-based PRNG, bit for bit the
// same as src/engine/prng.ts (pcgHash, drawU32, u32ToUnit). u32 arithmetic in
// WGSL wraps like Math.imul / >>> 0 in JavaScript, so no masking is needed.

fn pcg_hash(input: u32) -> u32 {
  let state = input * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn draw_u32(seed: u32, stream: u32, step: u32, sample: u32, position: u32) -> u32 {
  return draw_at(draw_prefix(seed, stream, step, sample), position);
}

// draw_u32 in two parts: the chain over (seed, stream, step, sample) is the
// same for every position of an answer, so the sampler hashes it once.
fn draw_prefix(seed: u32, stream: u32, step: u32, sample: u32) -> u32 {
  var h = pcg_hash(seed);
  h = pcg_hash(h ^ stream);
  h = pcg_hash(h ^ step);
  return pcg_hash(h ^ sample);
}

fn draw_at(prefix: u32, position: u32) -> u32 {
  return pcg_hash(prefix ^ position);
}

// Top 24 bits: exact in f32 and never 1.0.
fn u32_to_unit(x: u32) -> f32 {
  return f32(x >> 8u) * (1.0 / 16777216.0);
}
