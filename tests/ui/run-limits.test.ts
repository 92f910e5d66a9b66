/**
 * When training stops: all lanes off (Play refused, a running loop pauses,
 * with a message), the run's end (every enabled lane at `steps`, a lane
 * switched on late catching up, Step never past the end), and rates of 0
 * while paused.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { loadConfig, type ConfigInput } from '../../src/engine/config.ts';
import { resolveTask } from '../../src/engine/setup.ts';
import { createGrader } from '../../src/graders/index.ts';
import type { LaneId, RunDefinition, WorkerEvent } from '../../src/worker/protocol.ts';
import { ALL_LANES_OFF, TrainingSession } from '../../src/worker/session.ts';
import { Trainer } from '../../src/worker/trainer.ts';

const deps = {
  loadTask: resolveTask,
  createGrader,
  chooseBackend: async (_pref: unknown, state: ConstructorParameters<typeof CpuBackend>[0]) => ({ backend: new CpuBackend(state), badge: 'CPU — test' }),
};
const def = (config: ConfigInput = {}, lanes: Partial<Record<LaneId, boolean>> = {}): RunDefinition => ({
  config: loadConfig({ batch_prompts: 2, num_generations: 4, ...config }),
  lanes: { rft: true, dpo: true, sft: true, ...lanes },
});
const tick = (ms = 10) => new Promise((ok) => setTimeout(ok, ms));

async function session(d: RunDefinition) {
  const events: WorkerEvent[] = [];
  const s = new TrainingSession({ ...deps, tasks: [] });
  s.start((e) => events.push(e));
  const r = await s.reset(d);
  if (!r.ok) throw new Error(r.errors.join('; '));
  s.setSpeed(null);
  const notices = () => events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
  const lastStep = (lane: LaneId) => events.flatMap((e) => (e.type === 'batch' ? (e.records[lane] ?? []).map((r) => r.step) : [])).at(-1) ?? 0;
  return { s, events, notices, lastStep };
}

describe('all lanes off', () => {
  it('Play is refused with a message, and Step does nothing', async () => {
    const { s, notices } = await session(def({}, { rft: false, dpo: false, sft: false }));
    s.play();
    expect(s.progress().playing).toBe(false);
    expect(notices()).toEqual([ALL_LANES_OFF]);
    await s.stepOnce();
    expect(s.progress().step).toBe(0);
    expect(notices()).toHaveLength(2);
  });

  it('switching the last lane off mid-run pauses with the message; the counter keeps the lanes’ step', async () => {
    const d = def({ steps: 100_000 });
    const { s, notices } = await session(d);
    s.setSpeed(200);
    s.play();
    await tick(100);
    await s.update({ ...d, lanes: { rft: false, dpo: false, sft: false } });
    // Bounded by time, not a count of ticks: on a loaded machine (CI beside other runs) the loop's turn comes late.
    for (const t0 = Date.now(); Date.now() - t0 < 10_000 && (s.progress().playing || notices().length === 0); ) await tick();
    const p = s.progress();
    expect(p.playing).toBe(false);
    expect(p.step).toBeGreaterThan(0);
    expect(p.stepsPerSecond).toBe(0);
    expect(p.samplesPerSecond).toBe(0);
    expect(notices()).toEqual([ALL_LANES_OFF]);
  });
});

describe('the end of the run', () => {
  it('a lane switched on late catches up, then the run finishes with every lane at `steps`', async () => {
    const d = def({ steps: 12 }, { dpo: false });
    const { s, events, lastStep } = await session(d);
    for (let i = 0; i < 8; i++) await s.stepOnce();
    await s.update({ ...d, lanes: { rft: true, dpo: true, sft: true } });
    await s.stepOnce();
    expect(s.progress()).toMatchObject({ step: 9, behind: { dpo: 1 } });
    s.play();
    // The last records and snapshots go out before the 'finished' event (the snapshot grades SFT's answers).
    for (let t = 0; t < 500 && events.at(-1)?.type !== 'finished'; t++) await tick();
    expect(events.at(-1)!.type).toBe('finished');
    expect(s.progress()).toMatchObject({ step: 12, finished: true });
    expect(s.progress().behind).toBeUndefined();
    expect([lastStep('rft'), lastStep('dpo'), lastStep('sft')]).toEqual([12, 12, 12]);
  });

  it('Step never passes the end: it says the run is finished; raising Steps trains on', async () => {
    const d = def({ steps: 3 });
    const { s, events } = await session(d);
    for (let i = 0; i < 5; i++) await s.stepOnce();
    expect(s.progress().step).toBe(3);
    expect(events.filter((e) => e.type === 'finished')).toHaveLength(2);
    await s.update({ ...d, config: { ...d.config, steps: 4 } });
    expect(s.progress().finished).toBeUndefined();
    await s.stepOnce();
    expect(s.progress().step).toBe(4);
  });

  it('the trainer steps only the lanes below `steps`', async () => {
    const t = new Trainer(deps);
    const d = def({ steps: 2 }, { sft: false });
    await t.build(d);
    await t.stepAll();
    await t.stepAll();
    await t.update({ ...d, lanes: { rft: true, dpo: true, sft: true } });
    const r = await t.stepAll();
    expect(Object.keys(r.records)).toEqual(['sft']);
    expect(t.finished).toBe(false);
    await t.stepAll();
    expect(t.finished).toBe(true);
    expect(Object.keys((await t.stepAll()).records)).toEqual([]);
  });
});

describe('rates', () => {
  it('read 0 while paused, and a pause does not drag the next measurement down', async () => {
    const { s } = await session(def({ steps: 100_000 }));
    s.setSpeed(100);
    s.play();
    // The first step also starts the grader's worker.
    for (let t = 0; t < 30 && !(s.progress().stepsPerSecond > 0); t++) await tick(100);
    expect(s.progress().stepsPerSecond).toBeGreaterThan(0);
    await s.pause();
    expect(s.progress()).toMatchObject({ stepsPerSecond: 0, samplesPerSecond: 0 });
    await tick(500);
    s.play();
    await tick(300);
    // Measured since Play: close to 100 steps/s, not averaged over the pause.
    expect(s.progress().stepsPerSecond).toBeGreaterThan(50);
    await s.pause();
  });
});

describe('a grader with a long time limit that never returns', () => {
  const looping = { type: 'js', name: 'stuck', source: 'function grade() { for (;;) {} }', timeout_ms: 600_000 } as const;

  it('Pause stops it at once, with no failure message', async () => {
    const { s, events } = await session(def({ steps: 100, grader: looping }));
    s.play();
    await tick(800);
    const t0 = Date.now();
    await s.pause();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(s.progress().playing).toBe(false);
    expect(events.some((e) => e.type === 'failure')).toBe(false);
  });

  it('Reset stops it at once and builds the new run', async () => {
    const { s } = await session(def({ steps: 100, grader: looping }));
    s.play();
    await tick(800);
    const t0 = Date.now();
    const r = await s.reset(def({ steps: 5 }));
    expect(r.ok).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000);
    s.play();
    for (let t = 0; t < 100 && s.progress().step < 5; t++) await tick(100);
    expect(s.progress().step).toBe(5);
    await s.pause();
  });
});
