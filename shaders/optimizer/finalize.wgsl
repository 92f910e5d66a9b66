// One invocation: turns the reduced sums of a step (or RFT iteration) into the
// step's statistics, the gradient norm and the clip factor the optimizer
// applies, and raises the non-finite flag when the loss or the norm is NaN/Inf.
// sums[0] = visit terms, sums[1].x = Σ g², sums[2], sums[3] = objective terms.
// stats: [0..4) sums[0] of iteration 0, [4] grad norm, [5] non-finite flag
// (written by restore.wgsl), [8..12) sums[2], [12..16) sums[3],
// [16 + 2i], [17 + 2i] = sums[0].xy of RFT iteration i.
// control[0] = non-finite flag, control[1] = bits of the clip factor.

struct Params {
  iteration: u32,
  // Which sums entry holds the loss: 0 (RFT) or 2 (DPO, SFT).
  loss_slot: u32,
  // 0 = no clipping (max_grad_norm null).
  max_grad_norm: f32,
  has_gradient: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> sums: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> control: array<atomic<u32>>;

@compute @workgroup_size(1)
fn main() {
  let it = params.iteration;
  if (it == 0u) {
    for (var i = 0u; i < 4u; i++) {
      stats[i] = sums[0][i];
      stats[8u + i] = sums[2][i];
      stats[12u + i] = sums[3][i];
    }
  }
  stats[16u + 2u * it] = sums[0].x;
  stats[17u + 2u * it] = sums[0].y;
  var finite = is_finite(sums[params.loss_slot].x);
  if (params.has_gradient != 0u) {
    let norm = sqrt(sums[1].x);
    stats[4] = norm;
    finite = finite && is_finite(norm);
    var scale = 1.0;
    if (params.max_grad_norm > 0.0 && norm > params.max_grad_norm) {
      scale = params.max_grad_norm / (norm + CLIP_NORM_EPS);
    }
    atomicStore(&control[1], bitcast<u32>(scale));
  }
  if (!finite) {
    atomicMax(&control[0], 1u);
  }
}
