/**
 * A transformer run through the page's session (what the training worker runs): its base is pretrained
 * with progress events, once (Reset reuses the cached base), every lane starts with the base's held-out
 * score as a step-0 record, and the lane cards get held-out prompts with their likeliest answers.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config.ts';
import type { RunDefinition, WorkerEvent } from '../../src/worker/protocol.ts';
import { TrainingSession } from '../../src/worker/session.ts';
import { playgroundDeps } from '../../src/worker/session-deps.ts';

// Small and quick: pretraining stops at its step limit (the accuracy target is out of reach in 30 steps).
const config = { task: 'reverse', seed: 3, policy: { kind: 'transformer', layers: 1, d_model: 16, base_accuracy: 0.99, base_max_steps: 30 }, eval_prompts: 32, batch_prompts: 4, num_generations: 4 } as const;

function definition(): RunDefinition {
  const parsed = parseConfig(config);
  if (!parsed.ok) throw new Error(parsed.errors[0].message);
  return { config: parsed.config, lanes: { rft: true, dpo: true, sft: true } };
}

describe('a transformer run on the page', () => {
  it('pretrains its base with progress, once; starts every lane at the base\'s held-out score; shows held-out prompts', async () => {
    const events: WorkerEvent[] = [];
    const s = new TrainingSession(playgroundDeps(() => undefined));
    s.start((e) => events.push(e));
    const r = await s.reset(definition());
    if (!r.ok || !r.run) throw new Error(r.ok ? 'no run' : r.errors.join('; '));
    const progress = events.filter((e) => e.type === 'pretraining');
    expect(progress.length).toBeGreaterThanOrEqual(6);
    expect(progress.at(-1)).toMatchObject({ step: 30, maxSteps: 30, target: 0.99 });
    expect(progress.every((e) => e.type === 'pretraining' && e.checkAccuracy !== null && e.checkAccuracy >= 0 && e.checkAccuracy <= 1)).toBe(true);
    const run = r.run;
    expect(run.model).toMatchObject({ kind: 'transformer', base: { steps: 30, reached: false } });
    expect(run.model.parameters).toBeGreaterThan(1000);
    expect(run.prompts.length - run.heldOutFrom).toBe(32);
    // One base, one step-0 evaluation: the three lanes start from the same score.
    const start = run.start!;
    expect(Object.keys(start).sort()).toEqual(['dpo', 'rft', 'sft']);
    expect(start.rft!.step).toBe(0);
    expect(start.rft!.eval_reward).toBeGreaterThanOrEqual(0);
    expect(start.dpo!.eval_reward_greedy).toBe(start.rft!.eval_reward_greedy);
    expect('reward' in start.rft!).toBe(false);

    events.length = 0;
    await s.stepOnce();
    const batch = events.find((e) => e.type === 'batch');
    if (batch?.type !== 'batch') throw new Error('no batch after a step');
    const held = batch.snapshots.rft!.heldOut!;
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((g) => g.heldOut && run.prompts.indexOf(g.prompt) >= run.heldOutFrom)).toBe(true);
    // The selected prompt comes first when it is held out.
    await s.selectPrompt(run.heldOutFrom + 7);
    const after = events.filter((e) => e.type === 'batch').at(-1);
    if (after?.type !== 'batch') throw new Error('no batch after selecting a prompt');
    expect(after.snapshots.rft!.heldOut![0].prompt).toBe(run.prompts[run.heldOutFrom + 7]);

    // Reset: the same base from the cache, no pretraining again.
    events.length = 0;
    const again = await s.reset(definition());
    expect(again.ok).toBe(true);
    expect(events.filter((e) => e.type === 'pretraining')).toEqual([]);
    expect(again.ok && again.run!.start!.rft).toEqual(start.rft);
  }, 120_000);

  it('evaluates only the lanes that are on at step 0 (a lane switched off has no line)', async () => {
    const s = new TrainingSession(playgroundDeps(() => undefined));
    s.start(() => undefined);
    const r = await s.reset({ ...definition(), lanes: { rft: false, dpo: false, sft: true } });
    if (!r.ok || !r.run) throw new Error(r.ok ? 'no run' : r.errors.join('; '));
    expect(Object.keys(r.run.start!)).toEqual(['sft']);
  }, 120_000);
});
