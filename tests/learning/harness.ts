/**
 * One lane trained in-process on the CPU engine, as the CLI trains it, with
 * its held-out evaluations collected and printed as they come (a learning run
 * takes minutes: the log says where it is).
 */
import { loadConfig, type ConfigInput } from '../../src/engine/config.ts';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { initialState, makeLane, resolveTask } from '../../src/engine/setup.ts';
import type { StepMetrics } from '../../src/engine/lane.ts';

export interface LearningRun {
  label: string;
  records: StepMetrics[];
  /** The held-out evaluations, step 0 (the starting policy) first. */
  evals: StepMetrics[];
  seconds: number;
}

/** The default transformer: 2 layers × d_model 32 × 4 heads, from its base, CPU engine, 256 held-out prompts. */
export const NET = { kind: 'transformer' } as const;

/**
 * The measured RFT recipe: 16 prompts × 16 generations, learning rate 1e-3 with 20 warm-up steps and linear
 * decay, Adam β₂ 0.98, no KL. Here, not in rft.learn.ts: importing a test file would run its tests again.
 */
export const RFT = { objective: 'rft', policy: NET, steps: 1500, batch_prompts: 16, num_generations: 16, optimizer: { learning_rate: 1e-3, adam_beta2: 0.98, warmup_steps: 20, lr_scheduler_type: 'linear' } } as const;

export async function trainRun(label: string, input: ConfigInput): Promise<LearningRun> {
  const started = performance.now();
  const config = loadConfig({ backend: 'cpu', eval_steps: 50, ...input });
  const task = resolveTask(config);
  const state = initialState(config, task);
  const lane = makeLane(config, { task, state, backend: new CpuBackend(state) });
  const records: StepMetrics[] = [];
  const evals: StepMetrics[] = [];
  const log = (m: StepMetrics) => {
    const show = (k: string) => (m[k] === undefined ? '' : ` ${k} ${m[k].toFixed(3)}`);
    console.log(`[${label}] step ${m.step}${show('eval_reward')}${show('eval_reward_greedy')}${show('eval_copy_rate')}${show('reward')}${show('entropy')}${show('logps/chosen')}${show('rewards/margins')}`);
  };
  const start = await lane.evaluate(0);
  if (start) {
    evals.push({ step: 0, ...start.metrics });
    log(evals[0]);
  }
  for (let i = 0; i < config.steps; i++) {
    const out = await lane.step();
    if (!out.ok) throw new Error(`[${label}] ${out.message}`);
    records.push(out.metrics);
    if ('eval_reward' in out.metrics) {
      evals.push(out.metrics);
      log(out.metrics);
    }
  }
  lane.disposeGraders();
  const seconds = (performance.now() - started) / 1000;
  console.log(`[${label}] done in ${seconds.toFixed(0)} s`);
  return { label, records, evals, seconds };
}

/** The first evaluation step at which `metric` reached `threshold`, or null. */
export function firstReached(run: LearningRun, metric: string, threshold: number): number | null {
  return run.evals.find((e) => e[metric] >= threshold)?.step ?? null;
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}
