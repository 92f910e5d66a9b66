/**
 * Golden runs: the engine prints, byte for byte, what the CLI printed on the
 * CPU backend when the files were recorded (tests/golden/make.ts). Every case
 * runs in-process through the same steps as src/cli/train.ts (config → task →
 * state → CPU backend → lane → one JSON line per step); two cases also run
 * the CLI itself as a child process, so the in-process path cannot drift from it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config.ts';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { policyDump } from '../../src/engine/policy-dump.ts';
import { initialState, makeLane } from '../../src/engine/setup.ts';
import { resolveCliTask } from '../../src/cli/task-files.ts';
import { goldenCases, type GoldenCase } from './cases.ts';

const cases = goldenCases();

function rawConfig(c: GoldenCase): Record<string, unknown> {
  return typeof c.config === 'string' ? JSON.parse(readFileSync(c.config, 'utf8')) : c.config;
}

async function runInProcess(c: GoldenCase): Promise<{ lines: string; dump: string | null }> {
  const parsed = parseConfig({ ...rawConfig(c), backend: 'cpu', steps: c.steps });
  if (!parsed.ok) throw new Error(parsed.errors[0].message);
  const config = parsed.config;
  const task = await resolveCliTask(config, typeof c.config === 'string' ? c.config : undefined);
  const state = initialState(config, task);
  const backend = new CpuBackend(state);
  const lane = makeLane(config, { task, state, backend });
  let lines = '';
  for (let i = 0; i < config.steps; i++) {
    const outcome = await lane.step();
    if (!outcome.ok) throw new Error(outcome.message);
    lines += JSON.stringify(outcome.metrics) + '\n';
  }
  const dump = c.dump ? JSON.stringify(policyDump(await backend.readState(), task)) + '\n' : null;
  return { lines, dump };
}

describe('golden runs (CPU backend)', () => {
  it('cover every example, task, objective and policy kind', () => {
    expect(cases.length).toBeGreaterThanOrEqual(49);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { lines, dump } = await runInProcess(c);
    expect(lines === readFileSync(`tests/golden/${c.name}.jsonl`, 'utf8'), `${c.name}.jsonl differs`).toBe(true);
    if (dump !== null) expect(dump === readFileSync(`tests/golden/${c.name}.policy.json`, 'utf8'), `${c.name}.policy.json differs`).toBe(true);
  });

  it.each(['example-add-rft', 'add-sft-autoregressive'])('the CLI itself prints %s', (name) => {
    const c = cases.find((k) => k.name === name)!;
    const dir = mkdtempSync(join(tmpdir(), 'rft-golden-'));
    const configPath = typeof c.config === 'string' ? c.config : join(dir, 'config.json');
    if (typeof c.config !== 'string') writeFileSync(configPath, JSON.stringify(c.config));
    const dumpPath = join(dir, 'policy.json');
    const args = ['--import', 'tsx', 'src/cli/train.ts', '--config', configPath, '--backend', 'cpu', '--steps', String(c.steps)];
    if (c.dump) args.push('--dump-policy', dumpPath);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout === readFileSync(`tests/golden/${c.name}.jsonl`, 'utf8')).toBe(true);
    if (c.dump) expect(readFileSync(dumpPath, 'utf8') === readFileSync(`tests/golden/${c.name}.policy.json`, 'utf8')).toBe(true);
  });
});
