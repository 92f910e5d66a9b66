import { loadConfig, type Config, type ConfigInput } from '../../src/engine/config.ts';
import type { StepMetrics } from '../../src/engine/lane.ts';
import { initialState, makeLane, resolveTask } from '../../src/engine/setup.ts';
import type { GraderSpec, TaskItem } from '../../src/engine/task.ts';
import { createGrader } from '../../src/graders/index.ts';

export function cpuConfig(over: ConfigInput): Config {
  return loadConfig({ backend: 'cpu', ...over });
}

/** Runs a lane for config.steps steps on the CPU and returns every step's metrics. */
export async function train(config: Config): Promise<StepMetrics[]> {
  const task = resolveTask(config);
  const lane = makeLane(config, { task, state: initialState(config, task) });
  const out: StepMetrics[] = [];
  for (let s = 0; s < config.steps; s++) {
    const outcome = await lane.step();
    if (!outcome.ok) throw new Error(outcome.message);
    out.push(outcome.metrics);
  }
  return out;
}

export function meanOver(history: StepMetrics[], key: string, from: number, to: number): number {
  const slice = history.slice(from, to);
  return slice.reduce((s, m) => s + m[key], 0) / slice.length;
}

/** Scores answers with a grader spec: answers[i] against items[i]. */
export async function scoreAll(spec: GraderSpec, answers: string[], items: TaskItem[]): Promise<number[]> {
  const result = await createGrader(spec).grade(
    answers.map((output_text) => ({ output_text })),
    items,
  );
  return Array.from(result.scores);
}
