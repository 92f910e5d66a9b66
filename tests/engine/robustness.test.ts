/** Reproducibility, divergence handling and config validation. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config.ts';
import { drawU32, pcgHash, u32ToUnit, drawUnit } from '../../src/engine/prng.ts';
import { makeLane } from '../../src/engine/setup.ts';
import { LOGIT_LIMIT } from '../../src/engine/backend.ts';
import { fixture } from './helpers.ts';

describe('counter-based PRNG', () => {
  it('is a pure u32 function of its key, with reference values pinned for the WGSL twin', () => {
    // Pinned so a change to the hash (which would break CPU/GPU parity and old share links) is noticed.
    expect([pcgHash(0), pcgHash(1), pcgHash(0xffffffff)]).toEqual([129708002, 2831084092, 3861530882]);
    expect(drawU32(1, 2, 3, 4, 5)).toBe(drawU32(1, 2, 3, 4, 5));
    const keys = [drawU32(0, 1, 1, 0, 0), drawU32(1, 1, 1, 0, 0), drawU32(0, 2, 1, 0, 0), drawU32(0, 1, 2, 0, 0), drawU32(0, 1, 1, 1, 0), drawU32(0, 1, 1, 0, 1)];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('maps to [0, 1) through the top 24 bits, never 1.0, and is uniform', () => {
    expect(u32ToUnit(0xffffffff)).toBe(1 - 2 ** -24);
    expect(u32ToUnit(0)).toBe(0);
    const bins = new Array(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) bins[Math.floor(drawUnit(42, 1, 7, i, 3) * 10)]++;
    // Chi-square with 9 degrees of freedom; 27.9 is the 0.1 % critical value.
    const chi2 = bins.reduce((s, b) => s + (b - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(27.9);
  });
});

describe('reproducibility', () => {
  it('same config and seed give identical metrics; another seed differs', async () => {
    const run = async (seed: number) => {
      const { cfg, task, state } = fixture({ task: 'reverse', seed, steps: 40, policy: { kind: 'autoregressive', init_scale: 0.2 } });
      const lane = makeLane(cfg, { task, state });
      const lines: string[] = [];
      for (let i = 0; i < cfg.steps; i++) {
        const out = await lane.step();
        if (!out.ok) throw new Error(out.message);
        lines.push(JSON.stringify(out.metrics));
      }
      return lines.join('\n');
    };
    expect(await run(3)).toBe(await run(3));
    expect(await run(3)).not.toBe(await run(4));
  });
});

describe('divergence', () => {
  it('a runaway learning rate pauses with a message naming the step and keeps the last finite state', async () => {
    const { cfg, task, state, backend } = fixture({ task: 'add', objective: 'sft', optimizer: { name: 'adam', learning_rate: 1e38 } });
    const lane = makeLane(cfg, { task, state, backend });
    let stopped = null;
    let before = (await backend.readState()).logits;
    for (let i = 0; i < 50 && !stopped; i++) {
      before = (await backend.readState()).logits;
      const out = await lane.step();
      if (!out.ok) stopped = out;
    }
    expect(stopped).not.toBeNull();
    expect(stopped!.reason).toBe('diverged');
    expect(stopped!.message).toMatch(new RegExp(`step ${stopped!.step}\\b`));
    expect(stopped!.message).toMatch(/learning rate/);
    const after = (await backend.readState()).logits;
    expect(after.every(Number.isFinite)).toBe(true);
    expect(Array.from(after)).toEqual(Array.from(before));
    // The run can go on after the user lowers the learning rate.
    lane.setConfig({ ...cfg, optimizer: { ...cfg.optimizer, learning_rate: 0.1 } });
    const next = await lane.step();
    expect(next.ok).toBe(true);
  });
});

describe('overflow without NaN', () => {
  // Adam's first step moves every logit by about the learning rate, so 1e30 gives finite but absurd
  // logits (float32 reaches 3.4e38): without a limit the run would go on with no warning.
  it.each(['rft', 'dpo', 'sft'] as const)('%s: a learning rate of 1e30 stops at step 1 and keeps the initial state', async (objective) => {
    const { cfg, task, state, backend } = fixture({ task: 'reverse', objective, optimizer: { name: 'adam', learning_rate: 1e30 } });
    const before = Array.from((await backend.readState()).logits);
    const out = await makeLane(cfg, { task, state, backend }).step();
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out).toMatchObject({ step: 1, reason: 'diverged' });
    expect(out.message).toBe(
      'step 1: the loss or the logits overflowed (NaN/Inf, or a logit beyond ±1e+6): learning rate 1e+30 is probably too high; restored the last good state',
    );
    expect(Array.from((await backend.readState()).logits)).toEqual(before);
  });

  it('the limit is far from any sensible run: learning rate 1 for 300 steps never reaches it', async () => {
    const { cfg, task, state, backend } = fixture({ task: 'reverse', objective: 'rft', optimizer: { name: 'adam', learning_rate: 1 } });
    const lane = makeLane(cfg, { task, state, backend });
    for (let i = 0; i < 300; i++) expect((await lane.step()).ok).toBe(true);
    const peak = (await backend.readState()).logits.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThan(LOGIT_LIMIT / 1000);
  });
});

describe('config validation', () => {
  const message = (input: unknown) => {
    const r = parseConfig(input);
    if (r.ok) throw new Error('expected a validation error');
    return r.errors.map((e) => e.message).join('\n');
  };
  it('names the field path, the value and what is allowed', () => {
    expect(message({ rft: { epsilon: -1 } })).toBe('config.rft.epsilon = -1: must be >= 0');
    expect(message({ objective: 'ppo' })).toBe('config.objective = "ppo": must be one of "rft", "dpo", "sft"');
    expect(message({ optimizer: { learning_rate: 'fast' } })).toBe('config.optimizer.learning_rate = "fast": must be a number, not string');
    expect(message({ dpo: { bta: 0.1 } })).toMatch(/^config\.dpo\.bta = 0\.1: unknown field \(allowed: loss_type, beta, label_smoothing, pairs\)$/);
    expect(message({ seed: 1.5 })).toBe('config.seed = 1.5: must be an integer');
    expect(message({ num_generations: 0 })).toBe('config.num_generations = 0: must be >= 1');
  });
  it('fills every default', () => {
    const r = parseConfig({});
    expect(r.ok && r.config).toMatchObject({ task: 'reverse', objective: 'rft', seed: 0, num_generations: 32, dpo: { beta: 0.1, loss_type: 'sigmoid' }, rft: { epsilon: 0.2, beta: 0 } });
  });
});
