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
    for (let i = 0; i < cfg.steps; i++) {
      const outcome = await engine.step();
      if (!outcome.ok) throw new Error(`${where}: run "${run.id}", lane ${lane} stopped at step ${outcome.step}: ${outcome.message}`);
      records.push(outcome.metrics);
    }
    engine.backend.dispose();
    out[lane] = records;
  }
  return out;
}

/** Runs every run of a preset, in order. */
export async function runPreset(runs: readonly PresetRun[], where = 'preset'): Promise<RunRecords> {
  const records: RunRecords = {};
  for (const run of runs) records[run.id] = await runPresetRun(run, where);
  return records;
}
