/**
 * Runs a lesson's preset headless on the CPU reference engine: every lane of a
 * run starts from the same initial policy (as on the page) and trains for the
 * config's `steps`. Used by the tests that check each lesson's claims, and
 * usable from the CLI or a worker (no DOM).
 */
import { parseConfig, type Config, type Objective } from '../engine/config.ts';
import type { StepMetrics } from '../engine/lane.ts';
import { cloneState } from '../engine/policy.ts';
import { initialState, makeLane, resolveTask } from '../engine/setup.ts';
import type { RunRecords } from './claims.ts';
import type { PresetRun } from './types.ts';

/** The config one lane of a preset trains with: the run's config with that lane's objective, on the CPU. */
export function laneConfig(run: PresetRun, lane: Objective, where: string): Config {
  const parsed = parseConfig({ ...run.config, objective: lane, backend: 'cpu' });
  if (!parsed.ok) throw new Error(`${where} (run "${run.id}", lane ${lane}): ${parsed.errors.map((e) => e.message).join('; ')}`);
  return parsed.config;
}

export async function runPresetRun(run: PresetRun, where = 'preset'): Promise<Partial<Record<Objective, StepMetrics[]>>> {
  if (run.lanes.length === 0) throw new Error(`${where}: run "${run.id}" has no lanes switched on`);
  const out: Partial<Record<Objective, StepMetrics[]>> = {};
  // The policy's shape and initial logits do not depend on the objective, so one initial state serves every lane.
  const first = laneConfig(run, run.lanes[0], where);
  const task = resolveTask(first);
  const start = initialState(first, task);
  for (const lane of run.lanes) {
    const cfg = laneConfig(run, lane, where);
    const engine = makeLane(cfg, { task, state: cloneState(start) });
    const records: StepMetrics[] = [];
    // The starting policy's held-out evaluation, as the page's session records it: a step-0 record of eval_* metrics only.
    const atStart = await engine.evaluate(0);
    if (atStart && Object.keys(atStart.metrics).length > 0) records.push({ step: 0, ...atStart.metrics });
    for (let i = 0; i < cfg.steps; i++) {
      const outcome = await engine.step();
      if (!outcome.ok) throw new Error(`${where}: run "${run.id}", lane ${lane} stopped at step ${outcome.step}: ${outcome.message}`);
      records.push(outcome.metrics);
    }
    engine.backend.dispose();
    engine.disposeGraders();
    out[lane] = records;
  }
  return out;
}

/** Records of runs already trained, by config and lanes: two lessons that show the same run train it once. */
export type RunMemo = Map<string, Promise<Partial<Record<Objective, StepMetrics[]>>>>;

/** Runs every run of a preset, in order (a run with the same config and lanes as one in `memo` is not trained again). */
export async function runPreset(runs: readonly PresetRun[], where = 'preset', memo?: RunMemo): Promise<RunRecords> {
  const records: RunRecords = {};
  for (const run of runs) {
    const key = JSON.stringify([run.config, run.lanes]);
    let pending = memo?.get(key);
    if (!pending) {
      pending = runPresetRun(run, where);
      memo?.set(key, pending);
    }
    records[run.id] = await pending;
  }
  return records;
}
