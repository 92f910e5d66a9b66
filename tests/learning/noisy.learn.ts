/**
 * Noisy demonstrations (demo_error_rate 0.3 on two-digit add): SFT's share of
 * held-out answers that are one of the demos' typical wrong answers
 * (eval_copy_rate) rises as it trains; RFT with a correct grader does not copy
 * them, and its held-out eval_reward at 1,500 steps is at least SFT's.
 */
import { describe, expect, it } from 'vitest';
import { mean, NET, RFT, trainRun } from './harness.ts';

const NOISY = { task: 'add', demo_error_rate: 0.3, seed: 0, steps: 1500 } as const;

describe('copying mistakes, or learning the rule', () => {
  it('SFT copies the demos\' mistakes more as it trains, RFT does not, and RFT ends at least as good on held-out prompts', async () => {
    const sft = await trainRun('noisy sft', { ...NOISY, objective: 'sft', policy: NET, batch_prompts: 64, num_generations: 1, optimizer: { learning_rate: 3e-3, lr_scheduler_type: 'linear', warmup_steps: 0, adam_beta2: 0.999 } });
    const rft = await trainRun('noisy rft', { ...RFT, ...NOISY });
    const copy = (run: typeof sft, from: number, to: number) => mean(run.evals.filter((e) => e.step >= from && e.step <= to).map((e) => e.eval_copy_rate));
    const sftEarly = copy(sft, 50, 300);
    const sftLate = copy(sft, 1200, 1500);
    const rftLate = copy(rft, 1200, 1500);
    console.log(`[noisy] SFT copy rate ${sftEarly.toFixed(3)} → ${sftLate.toFixed(3)}; RFT ${copy(rft, 50, 300).toFixed(3)} → ${rftLate.toFixed(3)}; held-out at 1500: SFT ${sft.evals.at(-1)!.eval_reward.toFixed(3)}, RFT ${rft.evals.at(-1)!.eval_reward.toFixed(3)}`);
    expect(sftLate).toBeGreaterThan(sftEarly);
    expect(rftLate).toBeLessThanOrEqual(rft.evals[0].eval_copy_rate);
    expect(rft.evals.at(-1)!.eval_reward).toBeGreaterThanOrEqual(sft.evals.at(-1)!.eval_reward);
  });
});
