/**
 * Counter-based random numbers: every draw is a pure function of
 * (seed, stream, step, sample, position), so the CPU engine and the WGSL
 * sampler (shaders/table/sample.wgsl) produce the same draws bit for bit, and a run
 * resumed on another device continues exactly where it stopped.
 *
 * Only u32 operations (Math.imul, >>> 0) are used; the WGSL twin is
 * `pcg_hash` / `draw_u32` in shaders/lib/prng.wgsl.
 */

/** PCG-RXS-M-XS hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020). */
export function pcgHash(input: number): number {
  const state = (Math.imul(input >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> (((state >>> 28) + 4) >>> 0)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Independent streams of draws, so e.g. measuring reward never shifts the training samples. */
export const Stream = {
  /** Candidates an RFT step trains on, or DPO online candidates. */
  train: 1,
  /** Samples DPO/SFT draw only to measure reward. */
  measure: 2,
  /** Seeded initial logits (policy.init_scale). */
  init: 3,
  /** Which demonstrations / pairs are corrupted by demo_error_rate / preference_noise. */
  data: 4,
  /** Simulated judge noise and similar grader randomness. */
  grader: 5,
  /** Samples on held-out prompts (eval_reward): never trained on, never shared with the training draws. */
  eval: 6,
} as const;
export type StreamId = (typeof Stream)[keyof typeof Stream];

/** One u32 for the key (seed, stream, step, sample, position); chained hashing mixes every field. */
export function drawU32(seed: number, stream: number, step: number, sample: number, position: number): number {
  let h = pcgHash(seed >>> 0);
  h = pcgHash((h ^ stream) >>> 0);
  h = pcgHash((h ^ step) >>> 0);
  h = pcgHash((h ^ sample) >>> 0);
  return pcgHash((h ^ position) >>> 0);
}

/** u32 → [0, 1) through the top 24 bits: exact in f32, never 1.0. */
export function u32ToUnit(x: number): number {
  return (x >>> 8) * (1 / 16777216);
}

export function drawUnit(seed: number, stream: number, step: number, sample: number, position: number): number {
  return u32ToUnit(drawU32(seed, stream, step, sample, position));
}

/** Standard normal from two counter draws (Box–Muller); used off the hot path (init, data noise). */
export function drawNormal(seed: number, stream: number, step: number, sample: number, position: number): number {
  const u1 = 1 - drawUnit(seed, stream, step, sample, 2 * position);
  const u2 = drawUnit(seed, stream, step, sample, 2 * position + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Deterministic Fisher–Yates shuffle of 0..n-1 keyed by (seed, stream, step). */
export function permutation(n: number, seed: number, stream: number, step = 0): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(drawUnit(seed, stream, step, i, 0) * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
