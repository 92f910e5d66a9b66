/**
 * Held-out prompts: disjoint from the train prompts, never reached by any
 * lane's training (instrumented at the backend: every draw, demonstration and
 * pair), evaluated every eval_steps without changing the training itself.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, UpdateRequest } from '../../src/engine/backend.ts';
import { loadConfig, type ConfigInput } from '../../src/engine/config.ts';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { Stream } from '../../src/engine/prng.ts';
import { initialState, makeLane, resolveTask } from '../../src/engine/setup.ts';
import { trainPromptCount } from '../../src/engine/task.ts';
import { splitPool } from '../../src/tasks/split.ts';
import { holdOut } from '../../src/tasks/split.ts';
import { findTaskSource } from '../../src/tasks/index.ts';
import { atScale } from '../../src/tasks/build.ts';

/** A CPU backend that records which prompts every training draw and update used. */
function spyBackend(inner: CpuBackend) {
  const trained: number[] = [];
  const evaluated: number[] = [];
  const backend: Backend = Object.create(inner);
  backend.sample = (step, stream, promptOf, T, seed) => {
    (stream === Stream.eval ? evaluated : trained).push(...promptOf);
    return inner.sample(step, stream, promptOf, T, seed);
  };
  backend.update = (step, req: UpdateRequest, hyper) => {
    trained.push(...req.samples.promptOf);
    if (req.objective === 'sft') trained.push(...req.demos.promptOf);
    if (req.objective === 'dpo') trained.push(...req.pairs.promptOf.subarray(0, req.pairs.count));
    return inner.update(step, req, hyper);
  };
  backend.readPolicy = () => inner.readPolicy();
  return { backend, trained, evaluated };
}

async function run(over: ConfigInput, steps: number) {
  const config = loadConfig({ backend: 'cpu', ...over });
  const task = resolveTask(config);
  const state = initialState(config, task);
  const spy = spyBackend(new CpuBackend(state));
  const lane = makeLane(config, { task, state, backend: spy.backend });
  const records = [];
  const start = await lane.evaluate(0);
  for (let i = 0; i < steps; i++) {
    const out = await lane.step();
    if (!out.ok) throw new Error(out.message);
    records.push(out.metrics);
  }
  lane.disposeGraders();
  return { task, records, start, ...spy };
}

describe('splitting the prompt pool', () => {
  it('holds out disjoint prompts, and "longest" holds out the longest', () => {
    const pool = findTaskSource('reverse')!;
    const prompts = atScale(pool, 'neural').pool.map((i) => i.prompt);
    for (const split of ['random', 'longest'] as const) {
      const s = splitPool(prompts, 300, 200, split);
      expect(s.train).toHaveLength(300);
      expect(s.heldOut).toHaveLength(200);
      const all = [...s.train, ...s.heldOut, ...s.rest];
      expect(new Set(all).size).toBe(prompts.length);
      if (split === 'longest') {
        const shortestHeld = Math.min(...s.heldOut.map((i) => prompts[i].length));
        expect(Math.max(...s.train.map((i) => prompts[i].length))).toBeLessThanOrEqual(shortestHeld);
      }
    }
  });

  it('a built-in task trains on the same prompts with or without held-out ones, and its demos and pairs are on train prompts only', () => {
    const without = resolveTask(loadConfig({ task: 'sort', num_prompts: 10 }));
    const withHeld = resolveTask(loadConfig({ task: 'sort', num_prompts: 10, eval_prompts: 5 }));
    expect(withHeld.items.slice(0, 10).map((i) => i.prompt)).toEqual(without.items.map((i) => i.prompt));
    expect(trainPromptCount(withHeld)).toBe(10);
    expect(withHeld.items).toHaveLength(15);
    const trainSet = new Set(withHeld.items.slice(0, 10).map((i) => i.prompt));
    for (const item of withHeld.items.slice(10)) expect(trainSet.has(item.prompt)).toBe(false);
    for (const d of [...withHeld.demos, ...withHeld.pairs, ...(withHeld.base ?? [])]) expect(d.prompt).toBeLessThan(10);
  });

  it('the neural scale has ≥ 500 prompts per task and a pretraining corpus outside both sets', () => {
    for (const id of ['reverse', 'add', 'sort', 'count']) {
      const src = atScale(findTaskSource(id)!, 'neural');
      expect(src.pool.length, id).toBeGreaterThanOrEqual(500);
      const task = resolveTask(loadConfig({ task: id, policy: { kind: 'transformer' } }));
      const used = new Set(task.items.map((i) => i.prompt));
      expect(used.size, id).toBe(task.items.length);
      expect(task.pretrainCorpus!.length, id).toBeGreaterThan(100);
      for (const c of task.pretrainCorpus!) expect(used.has(c.prompt), `${id}: ${c.prompt}`).toBe(false);
    }
  });

  it('a custom task holds out prompts and drops their demonstrations and pairs', () => {
    const base = resolveTask(loadConfig({ task: 'add', num_prompts: 12 }));
    const split = holdOut(base, 4, 'random');
    expect(split.items).toHaveLength(12);
    expect(split.trainPrompts).toBe(8);
    const held = new Set(split.items.slice(8).map((i) => i.prompt));
    for (const d of split.demos) {
      expect(d.prompt).toBeLessThan(8);
      expect(held.has(split.items[d.prompt].prompt)).toBe(false);
    }
    expect(split.demos.length).toBeLessThan(base.demos.length);
    // Each kept demonstration still answers its own prompt.
    for (const d of split.demos) {
      const text = split.items[d.prompt].prompt;
      expect(base.demos.some((b) => base.items[b.prompt].prompt === text && b.answer === d.answer)).toBe(true);
    }
    expect(() => holdOut(base, 12, 'random')).toThrow(/at least one must be left to train on/);
  });
});

describe.each([
  ['tabular', { policy: { kind: 'tabular' } }],
  ['transformer', { policy: { kind: 'transformer', init: 'random', layers: 1, d_model: 8, heads: 2 }, num_prompts: 8, batch_prompts: 4, num_generations: 4 }],
] as const)('held-out prompts never reach training (%s)', (_kind, policy) => {
  const objectives: [string, ConfigInput][] = [
    ['rft', { objective: 'rft' }],
    ['dpo offline', { objective: 'dpo' }],
    ['dpo online', { objective: 'dpo', dpo: { pairs: 'online' } }],
    ['sft', { objective: 'sft' }],
  ];
  it.each(objectives)('%s', async (_name, obj) => {
    const { task, trained, evaluated, records, start } = await run({ task: 'reverse', eval_prompts: 6, eval_steps: 2, ...policy, ...obj } as ConfigInput, 4);
    const first = trainPromptCount(task);
    expect(first).toBeLessThan(task.items.length);
    expect(Math.max(...trained)).toBeLessThan(first);
    expect(new Set(trained).size).toBeGreaterThan(1);
    expect(Math.min(...evaluated)).toBeGreaterThanOrEqual(first);
    expect(start!.metrics.eval_reward).toBeGreaterThanOrEqual(0);
    expect(records.map((r) => 'eval_reward' in r)).toEqual([false, true, false, true]);
    expect(records.map((r) => 'eval_reward_greedy' in r)).toEqual([false, true, false, true]);
  });
});

describe('evaluation does not change training', () => {
  it('the same run with and without evaluations logs the same training metrics', async () => {
    const over: ConfigInput = { task: 'add', objective: 'rft', eval_prompts: 5 };
    const a = await run({ ...over, eval_steps: 1 }, 6);
    const b = await run({ ...over, eval_steps: 1000 }, 6);
    const strip = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('eval_')));
    expect(a.records.map(strip)).toEqual(b.records.map(strip));
    expect(a.records.every((r) => 'eval_reward' in r)).toBe(true);
  });

  it('a table never moves the rows of held-out prompts: their greedy answers stay as they started', async () => {
    const { records, start } = await run({ task: 'reverse', objective: 'sft', eval_prompts: 8, eval_steps: 5, policy: { init: 'base' }, optimizer: { learning_rate: 0.5 } }, 30);
    const greedy = records.filter((r) => 'eval_reward_greedy' in r).map((r) => r.eval_reward_greedy);
    expect(greedy.length).toBe(6);
    for (const g of greedy) expect(g).toBe(start!.metrics.eval_reward_greedy);
    // ... while the train prompts are learned.
    expect(records.at(-1)!.reward).toBeGreaterThan(0.5);
  });

  it('counts held-out answers that copy the demonstrations\' typical mistakes', async () => {
    const { records } = await run({ task: 'add', objective: 'sft', demo_error_rate: 0.3, eval_prompts: 6, eval_steps: 1 }, 2);
    for (const r of records) {
      expect(r.eval_copy_rate).toBeGreaterThanOrEqual(0);
      expect(r.eval_copy_rate).toBeLessThanOrEqual(1);
      expect(r.eval_copy_rate_greedy).toBeGreaterThanOrEqual(0);
    }
  });
});
