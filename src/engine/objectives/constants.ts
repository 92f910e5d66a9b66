/** The objectives' numerical constants, one source for both backends (the WGSL header and the uniforms read these). */

/**
 * Sums that cancel to within this fraction of their terms' magnitude are set to
 * exactly 0. Such a sum is rounding noise (e.g. group advantages that add up to
 * zero); Adam would divide it by its own tiny magnitude and turn it into a full
 * step whose sign depends on float rounding, which differs between CPU and GPU.
 */
export const CANCEL_EPS = 1e-5;

/** Added to the std before dividing, as in TRL, so a near-constant group does not explode. */
export const STD_EPS = 1e-4;

/** Added to the gradient norm when clipping it to max_grad_norm (as torch's clip_grad_norm_). */
export const CLIP_NORM_EPS = 1e-6;
