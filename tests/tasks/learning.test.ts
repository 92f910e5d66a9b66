/**
 * Each built-in task, trained by RFT with its default grader through makeLane, reaches its documented target
 * on fixed seeds; the reward-hacking task shows its exploitable reward rising while the exact metric stays low.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/engine/config.ts';
import { builtinTask, TASK_SOURCES } from '../../src/tasks/index.ts';
import { cpuConfig, meanOver, train } from './helpers.ts';

/** The reward of a run is averaged over its last steps: one step's batch is only 64 samples. */
const WINDOW = 10;
const SEEDS = [0, 1];

describe('every built-in task reaches its documented RFT target', () => {
  for (const src of TASK_SOURCES) {
    for (const seed of SEEDS) {
      it(`${src.id}, seed ${seed}`, async () => {
        const target = src.target!;
        const history = await train(cpuConfig({ task: src.id, seed, steps: target.steps, ...(target.config as ConfigInput | undefined) }));
        const start = meanOver(history, 'reward', 0, WINDOW);
        const end = meanOver(history, 'reward', target.steps - WINDOW, target.steps);
        expect(end, `reward went from ${start.toFixed(3)} to ${end.toFixed(3)}`).toBeGreaterThanOrEqual(target.reward);
        expect(end).toBeGreaterThan(start);
      });
    }
  }

  it('sort documents its warm start because a uniform start leaves some prompts unsolved', async () => {
    const ends: number[] = [];
    for (const seed of [1, 2]) {
      const history = await train(cpuConfig({ task: 'sort', seed, steps: 300 }));
      ends.push(meanOver(history, 'reward', 300 - WINDOW, 300));
    }
    expect(Math.min(...ends)).toBeLessThan(0.95);
  });
});

describe('the lessons the tasks exist for', () => {
  it('add-contains: the lenient reward rises while rewards/exact_match stays low (reward hacking)', async () => {
    const history = await train(cpuConfig({ task: 'add-contains', seed: 0, steps: 200 }));
    const start = meanOver(history, 'reward', 0, WINDOW);
    const end = meanOver(history, 'reward', 200 - WINDOW, 200);
    const exactEnd = meanOver(history, 'rewards/exact_match', 200 - WINDOW, 200);
    expect(history[0]).toHaveProperty('rewards/exact_match');
    expect(end).toBeGreaterThanOrEqual(0.9);
    expect(end - start).toBeGreaterThan(0.2);
    expect(exactEnd).toBeLessThan(0.1);
  });

  it('add-contains with the exact grader instead learns the real answer (the hack is the grader, not the task)', async () => {
    const history = await train(cpuConfig({ task: 'add-contains', seed: 0, steps: 300, grader: { type: 'string_check', operation: 'eq', input: '{{sample.output_text}}', reference: '{{item.reference}}' } }));
    expect(meanOver(history, 'rewards/exact_match', 290, 300)).toBeGreaterThanOrEqual(0.9);
  });

  it('add: SFT on demonstrations that are 30% wrong settles near 0.7', async () => {
    const history = await train(cpuConfig({ task: 'add', objective: 'sft', demo_error_rate: 0.3, seed: 0, steps: 300 }));
    const settled = meanOver(history, 'reward', 250, 300);
    expect(settled).toBeGreaterThan(0.6);
    expect(settled).toBeLessThan(0.8);
  });

  it('palindrome: RFT narrows onto a few of the 15 right answers per prompt (mode collapse)', async () => {
    const task = builtinTask('palindrome', { seed: 0, numPrompts: null, demoErrorRate: 0, preferenceNoise: 0 });
    const config = cpuConfig({ task: 'palindrome', seed: 0, steps: 200 });
    const { initialState, makeLane } = await import('../../src/engine/setup.ts');
    const lane = makeLane(config, { task, state: initialState(config, task) });
    const distinctAt = async (steps: number) => {
      const seen = new Set<string>();
      for (let s = 0; s < steps; s++) {
        const o = await lane.step();
        if (!o.ok) throw new Error(o.message);
        o.view.texts.forEach((t, i) => o.view.scores[i] === 1 && seen.add(`${o.view.promptOf[i]}:${t}`));
      }
      return seen.size;
    };
    const early = await distinctAt(10);
    await distinctAt(180);
    const late = await distinctAt(10);
    // Measured on seeds 0–2: about 25 distinct right answers in the first 10 steps, 9 (3 per prompt) late on.
    // A tabular policy cannot tie position 1 to position 3, so it keeps "a?a" with a free middle letter.
    expect(early).toBeGreaterThanOrEqual(2 * late);
    expect(late).toBeLessThanOrEqual(4 * task.items.length);
  });
});
