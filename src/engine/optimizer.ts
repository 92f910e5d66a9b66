/**
 * The optimizer: one step over a flat parameter buffer, whatever model the
 * parameters belong to (shaders/optimizer/optimizer.wgsl is the same step on the GPU).
 */
import type { Config } from './config.ts';
import { CLIP_NORM_EPS } from './objectives/constants.ts';

export interface OptimizerState {
  adamM: Float32Array;
  adamV: Float32Array;
  /** Steps taken (Adam bias correction); incremented here. */
  optSteps: number;
}

/** The factor that clips a gradient of norm `norm` to max_grad_norm (1 when no clip applies). */
export function clipScale(norm: number, maxNorm: number | null): number {
  return maxNorm !== null && norm > maxNorm ? maxNorm / (norm + CLIP_NORM_EPS) : 1;
}

/** θ ← θ − step(scale · g) by Adam (with bias correction) or SGD. */
export function optimizerStep(theta: Float32Array, g: Float64Array, scale: number, state: OptimizerState, opt: Config['optimizer']): void {
  const lr = opt.learning_rate;
  const n = theta.length;
  if (opt.name === 'sgd') {
    // Parameters without a gradient (g = 0) stay bit for bit as they are.
    for (let i = 0; i < n; i++) if (g[i] !== 0) theta[i] -= lr * scale * g[i];
    state.optSteps++;
    return;
  }
  const b1 = opt.adam_beta1;
  const b2 = opt.adam_beta2;
  const t = ++state.optSteps;
  const bc1 = 1 - Math.pow(b1, t);
  const bc2 = 1 - Math.pow(b2, t);
  const stepSize = lr / bc1;
  const sqrtBc2 = Math.sqrt(bc2);
  const eps = opt.adam_epsilon;
  const m = state.adamM;
  const v = state.adamV;
  for (let i = 0; i < n; i++) {
    const gi = g[i] * scale;
    const mi = b1 * m[i] + (1 - b1) * gi;
    const vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if (mi !== 0) theta[i] -= (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
  }
}
