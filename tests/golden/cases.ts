/**
 * The golden runs: every example config and every built-in task × objective ×
 * policy kind, plus a few variants that reach the less common branches of the
 * objectives (other advantages, loss types, clipping over iterations, KL,
 * entropy bonus, every DPO loss, SGD, a warm start, a temperature). Their
 * outputs were recorded from the CLI on the CPU backend (tests/golden/make.ts)
 * before the engine was split into objectives ∘ policy ∘ optimizer, and
 * golden.test.ts checks that the engine still prints the same bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface GoldenCase {
  name: string;
  /** A config file (relative to the repository) or an inline config. */
  config: string | Record<string, unknown>;
  steps: number;
  /** Also record --dump-policy. */
  dump?: boolean;
}

export const TASKS = ['reverse', 'add', 'sort', 'copy-upper', 'count', 'extract', 'palindrome', 'add-contains'] as const;
export const OBJECTIVES = ['rft', 'dpo', 'sft'] as const;
export const KINDS = ['tabular', 'autoregressive'] as const;

const STEPS = 24;

export function goldenCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  // The golden outputs predate the transformer; its example is run by tests/cli/transformer.test.ts.
  const tables = (file: string) => (JSON.parse(readFileSync(`examples/${file}`, 'utf8')) as { policy?: { kind?: string } }).policy?.kind !== 'transformer';
  for (const file of readdirSync('examples').filter((f) => f.endsWith('.json') && tables(f)).sort()) {
    cases.push({ name: `example-${file.replace(/\.json$/, '')}`, config: `examples/${file}`, steps: STEPS, dump: true });
  }
  for (const task of TASKS) {
    for (const objective of OBJECTIVES) {
      for (const kind of KINDS) {
        cases.push({
          name: `${task}-${objective}-${kind}`,
          config: { task, objective, policy: { kind }, seed: 3, backend: 'cpu' },
          steps: STEPS,
          dump: task === 'reverse',
        });
      }
    }
  }
  const variant = (name: string, config: Record<string, unknown>) => cases.push({ name: `variant-${name}`, config: { seed: 5, backend: 'cpu', ...config }, steps: STEPS, dump: false });
  for (const kind of KINDS) {
    const policy = { kind };
    variant(`${kind}-rloo-grpo-loss`, { task: 'add', policy, rft: { advantage: 'rloo', loss_type: 'grpo' } });
    variant(`${kind}-reinforce-drgrpo`, { task: 'reverse', policy, rft: { advantage: 'reinforce', loss_type: 'dr_grpo', baseline_decay: 0.8 } });
    variant(`${kind}-clip-kl-entropy`, {
      task: 'sort',
      policy: { kind, init: 'base', init_scale: 0.3 },
      temperature: 0.7,
      rft: { scale_rewards: 'batch', epsilon: 0.1, epsilon_high: 0.3, num_iterations: 3, beta: 0.05, entropy_coef: 0.02 },
    });
    variant(`${kind}-unscaled-sgd`, { task: 'count', policy, rft: { scale_rewards: 'none' }, optimizer: { name: 'sgd', learning_rate: 0.5, max_grad_norm: null } });
    for (const loss_type of ['ipo', 'hinge', 'robust', 'cdpo']) {
      variant(`${kind}-dpo-${loss_type}`, {
        task: 'add',
        objective: 'dpo',
        policy,
        preference_noise: 0.2,
        dpo: { loss_type, beta: 0.3, ...(loss_type === 'robust' || loss_type === 'cdpo' ? { label_smoothing: 0.1 } : {}) },
      });
    }
    variant(`${kind}-dpo-online`, { task: 'reverse', objective: 'dpo', policy: { kind, init: 'base' }, dpo: { pairs: 'online' } });
    variant(`${kind}-sft-noisy`, { task: 'add', objective: 'sft', policy, demo_error_rate: 0.3, optimizer: { learning_rate: 0.05, adam_beta1: 0.8 } });
  }
  return cases;
}
