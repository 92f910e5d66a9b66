// Library of the table policy models (prepended to the kernels in shaders/table/
// only): the layout of src/engine/policies/table.ts. The table's own header
// (src/gpu/policies/table.ts) adds ROWS and AUTOREGRESSIVE to the shared one.

const EOS: u32 = 0u;

fn row_index(prompt: u32, position: u32, prev: u32) -> u32 {
  let base = prompt * L + position;
  if (AUTOREGRESSIVE) {
    return base * V + prev;
  }
  return base;
}

// (z - max) / T: the scaled logit every softmax quantity is built from. One
// function so that every kernel gets bit-identical probabilities.
fn scaled_logit(z: f32, row_max: f32, temperature: f32) -> f32 {
  return (z - row_max) / temperature;
}

// Per-token difference of scaled logits between π and π_ref:
// d = ((z - z_ref) - (max - max_ref)) / T, exact-ish when the rows are close
// (Sterbenz), where log π - log π_ref would cancel catastrophically in f32.
fn scaled_logit_gap(z: f32, z_ref: f32, row_max: f32, ref_max: f32, temperature: f32) -> f32 {
  return ((z - z_ref) - (row_max - ref_max)) / temperature;
}

// log π(token) - log π_ref(token) = d - δ, with δ = log Σ - log Σ_ref from row_stats.wgsl (rows[ROWS + r].w).
// An unchanged row gives exactly 0.
fn log_ratio_to_reference(z: f32, z_ref: f32, row: vec4<f32>, ref_row: vec4<f32>, temperature: f32) -> f32 {
  return scaled_logit_gap(z, z_ref, row.x, ref_row.x, temperature) - ref_row.w;
}
