/**
 * Same state, seed and step → the same tokens on the CPU engine and the WebGPU
 * backend, measured over more than a million draws per case: random logits at
 * several temperatures, and uniform rows, where a 24-bit draw hits a CDF
 * boundary exactly about twice per million draws (the tie case).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { loadConfig } from '../../src/engine/config.ts';
import { drawUnit, Stream } from '../../src/engine/prng.ts';
import { initialState } from '../../src/engine/setup.ts';
import { syntheticTask } from '../../src/gpu/synthetic-task.ts';
import { WebGpuBackend } from '../../src/gpu/webgpu-backend.ts';
import { gpu } from './helpers.ts';

const MIN_DRAWS = 1_000_000;

interface Tally {
  draws: number;
  mismatches: number;
  /** Draws that landed exactly on a CDF boundary (uniform rows only: u · V is an integer). */
  exactTies: number;
}

/** Compares answers position by position; after a mismatch an answer's later draws follow other rows, so they are not counted. */
function tally(a: { tokens: Int32Array; lengths: Int32Array; count: number }, b: typeof a, L: number, into: Tally, tieAt: ((n: number, t: number) => boolean) | null): void {
  for (let n = 0; n < a.count; n++) {
    for (let t = 0; t < L; t++) {
      into.draws++;
      if (tieAt?.(n, t)) into.exactTies++;
      if (a.tokens[n * L + t] !== b.tokens[n * L + t]) {
        into.mismatches++;
        break;
      }
      if (t + 1 >= a.lengths[n]) break;
    }
  }
}

describe.skipIf(!gpu).each([
  ['tabular', 'random logits', 2, [1, 0.6, 1.7], MIN_DRAWS],
  ['autoregressive', 'random logits', 2, [1, 0.6], MIN_DRAWS],
  // ~2 draws per million hit a boundary of a uniform 32-way row exactly; 4M draws to see several.
  ['tabular', 'uniform logits (exact ties)', 0, [1], 4 * MIN_DRAWS],
] as const)('sampler parity over a million draws: %s, %s', (kind, _what, initScale, temperatures, minDraws) => {
  const backends: WebGpuBackend[] = [];
  afterAll(() => backends.forEach((b) => b.dispose()));

  it('draws identical tokens (mismatch rate printed)', async () => {
    const task = syntheticTask(64);
    const config = loadConfig({ policy: { kind, init_scale: initScale }, seed: 11 });
    const state = initialState(config, task);
    const cpu = new CpuBackend(state);
    const backend = await WebGpuBackend.create(gpu!, state);
    backends.push(backend);
    const L = state.shape.maxLen;
    const total: Tally = { draws: 0, mismatches: 0, exactTies: 0 };
    const perTemperature = Math.ceil(minDraws / temperatures.length);
    const V = state.shape.vocab;
    for (const T of temperatures) {
      const before = total.draws;
      for (let step = 1; total.draws - before < perTemperature; step++) {
        const promptOf = Int32Array.from({ length: 32768 }, (_, i) => (i * 7 + step) % 64);
        const g = await backend.sample(step, Stream.train, promptOf, T, config.seed);
        const c = cpu.sampleSync(step, Stream.train, promptOf, T, config.seed);
        const tieAt = initScale === 0 ? (n: number, t: number) => Number.isInteger(drawUnit(config.seed, Stream.train, step, n, t) * V) : null;
        tally(g, c, L, total, tieAt);
      }
    }
    const ties = initScale === 0 ? `, ${total.exactTies} of them exact ties` : '';
    console.log(`sampler ${kind}, init_scale ${initScale}, T ∈ {${temperatures.join(', ')}}: ${total.mismatches} mismatches in ${total.draws} draws${ties}`);
    expect(total.draws).toBeGreaterThanOrEqual(minDraws);
    expect(total.mismatches).toBe(0);
  });
});
