/**
 * DPO on the task's preference pairs (chosen = the right sum, rejected = a near
 * miss), from the default base: the implicit reward learns the pairs
 * (rewards/accuracies ≥ 0.95, rewards/margins rising), and whether the chosen
 * answer itself becomes more likely depends on β. At β 0.1 on two-digit add
 * logps/chosen falls by ≥ 2 nats while the margin rises ("likelihood
 * displacement", Razin et al. 2024, arXiv 2410.08847), on ≥ 4 of 5 seeds; at
 * β 0.5 it rises. The lessons issue uses both presets.
 */
import { describe, expect, it } from 'vitest';
import { mean, NET, trainRun, type LearningRun } from './harness.ts';

export const DPO_STEPS = 1000;
const DPO = { task: 'add', objective: 'dpo', policy: NET, steps: DPO_STEPS, batch_prompts: 64, num_generations: 1, optimizer: { learning_rate: 1e-3, adam_beta2: 0.98, warmup_steps: 20, lr_scheduler_type: 'constant' } } as const;

/** Mean of a metric over the first and the last `k` steps. */
function ends(run: LearningRun, metric: string, k = 20): [number, number] {
  const values = run.records.map((r) => r[metric]);
  return [mean(values.slice(0, k)), mean(values.slice(-k))];
}

describe('DPO on two-digit add', () => {
  it('β 0.1: the margin rises while logps/chosen falls by ≥ 2 nats on ≥ 4 of 5 seeds', async () => {
    const falls: number[] = [];
    for (const seed of [0, 1, 2, 3, 4]) {
      const run = await trainRun(`dpo β0.1 s${seed}`, { ...DPO, seed, dpo: { beta: 0.1 } });
      const [chosen0, chosen1] = ends(run, 'logps/chosen');
      const [margin0, margin1] = ends(run, 'rewards/margins');
      const [, accuracy] = ends(run, 'rewards/accuracies');
      console.log(`[dpo β0.1 s${seed}] logps/chosen ${chosen0.toFixed(2)} → ${chosen1.toFixed(2)}, margin ${margin0.toFixed(2)} → ${margin1.toFixed(2)}, accuracies ${accuracy.toFixed(3)}, held-out ${run.evals[0].eval_reward.toFixed(3)} → ${run.evals.at(-1)!.eval_reward.toFixed(3)}`);
      expect(accuracy, `seed ${seed}: rewards/accuracies`).toBeGreaterThanOrEqual(0.95);
      expect(margin1, `seed ${seed}: the margin rises`).toBeGreaterThan(margin0);
      falls.push(chosen0 - chosen1);
    }
    expect(falls.filter((f) => f >= 2).length, `logps/chosen falls by ≥ 2 nats: ${falls.map((f) => f.toFixed(2)).join(', ')}`).toBeGreaterThanOrEqual(4);
  });

  it('β 0.5: logps/chosen rises while the margin rises', async () => {
    const run = await trainRun('dpo β0.5 s0', { ...DPO, seed: 0, dpo: { beta: 0.5 } });
    const [chosen0, chosen1] = ends(run, 'logps/chosen');
    const [margin0, margin1] = ends(run, 'rewards/margins');
    const [, accuracy] = ends(run, 'rewards/accuracies');
    console.log(`[dpo β0.5 s0] logps/chosen ${chosen0.toFixed(2)} → ${chosen1.toFixed(2)}, margin ${margin0.toFixed(2)} → ${margin1.toFixed(2)}, accuracies ${accuracy.toFixed(3)}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    expect(margin1).toBeGreaterThan(margin0);
    expect(chosen1).toBeGreaterThan(chosen0);
  });
});
