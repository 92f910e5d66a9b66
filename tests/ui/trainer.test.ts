/** The three lanes behind the page, driven directly (no worker): lockstep, knobs mid-run, failures, the run loop. */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { defaultConfig, loadConfig, type ConfigInput } from '../../src/engine/config.ts';
import { makeLane, initialState, resolveTask } from '../../src/engine/setup.ts';
import { type GraderSpec, Vocabulary } from '../../src/engine/task.ts';
import { answerLogProb } from '../../src/worker/policy-view.ts';
import { createGrader } from '../../src/graders/index.ts';
import type { Grader } from '../../src/graders/types.ts';
import type { LaneId, RunDefinition, WorkerEvent } from '../../src/worker/protocol.ts';
import { TrainingSession } from '../../src/worker/session.ts';
import { Trainer, type TrainerDeps } from '../../src/worker/trainer.ts';

const deps = (over: Partial<TrainerDeps> = {}): TrainerDeps => ({
  loadTask: resolveTask,
  createGrader,
  chooseBackend: async (_pref, state) => ({ backend: new CpuBackend(state), badge: 'CPU — test' }),
  ...over,
});
const def = (config: ConfigInput = {}, lanes: Partial<Record<LaneId, boolean>> = {}): RunDefinition => ({
  config: loadConfig(config),
  lanes: { rft: true, dpo: true, sft: true, ...lanes },
});
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('Trainer', () => {
  it('a rebuilt run releases the graders (and their workers) of the run it replaces', async () => {
    const made: { disposed: boolean }[] = [];
    const t = new Trainer(
      deps({
        createGrader: (spec) => {
          const real = createGrader(spec);
          const record = { disposed: false };
          made.push(record);
          return { name: real.name, grade: (s, i) => real.grade(s, i), dispose: () => ((record.disposed = true), real.dispose?.()) };
        },
      }),
    );
    await t.build(def({ eval_graders: { fuzzy: { type: 'text_similarity', evaluation_metric: 'fuzzy_match' } } }));
    await t.stepAll();
    const first = made.length;
    expect(first).toBeGreaterThanOrEqual(3);
    await t.build(def({ seed: 9 }));
    expect(made.slice(0, first).every((g) => g.disposed)).toBe(true);
    t.dispose();
    expect(made.every((g) => g.disposed)).toBe(true);
  });

  it('three lanes start from the same policy and step in lockstep', async () => {
    const t = new Trainer(deps());
    const info = await t.build(def({ policy: { init: 'base', init_scale: 0.3 } }));
    expect(info.backendBadge).toBe('CPU — test');
    const maps = await Promise.all((['rft', 'dpo', 'sft'] as const).map((id) => t.snapshot(id, 1)));
    expect(maps[1]!.heatmap).toEqual(maps[0]!.heatmap);
    expect(maps[2]!.heatmap).toEqual(maps[0]!.heatmap);
    for (let i = 0; i < 5; i++) {
      const r = await t.stepAll();
      expect(r.failure).toBeNull();
      expect(Object.keys(r.records).sort()).toEqual(['dpo', 'rft', 'sft']);
      for (const rec of Object.values(r.records)) expect(rec!.step).toBe(i + 1);
    }
    expect(t.step).toBe(5);
  });

  it('each lane computes exactly what a lone engine lane computes', async () => {
    const cfg = def({ seed: 7 });
    const t = new Trainer(deps());
    await t.build(cfg);
    const trainer: Record<string, string[]> = { rft: [], dpo: [], sft: [] };
    for (let i = 0; i < 6; i++) {
      const r = await t.stepAll();
      for (const [id, rec] of Object.entries(r.records)) {
        const { samples_drawn: _s, labelled_examples: _l, ...metrics } = rec!;
        trainer[id].push(JSON.stringify(metrics));
      }
    }
    for (const objective of ['rft', 'dpo', 'sft'] as const) {
      const config = { ...cfg.config, objective };
      const task = resolveTask(config);
      const lane = makeLane(config, { task, state: initialState(config, task) });
      const alone: string[] = [];
      for (let i = 0; i < 6; i++) {
        const out = await lane.step();
        if (!out.ok) throw new Error(out.message);
        alone.push(JSON.stringify(out.metrics));
      }
      expect(trainer[objective]).toEqual(alone);
    }
  });

  it('RFT reward rises on the default task, and the budget counters add up', async () => {
    const t = new Trainer(deps());
    await t.build(def());
    const cfg = defaultConfig();
    const rewards: number[] = [];
    let last: Record<string, number> = {};
    for (let i = 0; i < cfg.steps; i++) {
      const r = await t.stepAll();
      rewards.push(r.records.rft!.reward);
      last = { rft: r.records.rft!.samples_drawn, dpo: r.records.dpo!.samples_drawn, sft: r.records.sft!.labelled_examples, rftL: r.records.rft!.labelled_examples };
    }
    expect(mean(rewards.slice(0, 10))).toBeLessThan(0.1);
    expect(mean(rewards.slice(-10))).toBeGreaterThan(0.9);
    const B = cfg.batch_prompts;
    expect(last.rft).toBe(cfg.steps * B * cfg.num_generations);
    expect(last.dpo).toBe(cfg.steps * 2 * B);
    expect(last.sft).toBe(cfg.steps * B);
    expect(last.rftL).toBe(cfg.steps * B);
  });

  it('a switched-off lane does not step', async () => {
    const t = new Trainer(deps());
    await t.build(def({}, { dpo: false }));
    const r = await t.stepAll();
    expect(Object.keys(r.records).sort()).toEqual(['rft', 'sft']);
    await t.update(def({}, { dpo: true }));
    const r2 = await t.stepAll();
    expect(r2.records.dpo!.step).toBe(1);
    expect(r2.records.rft!.step).toBe(2);
  });

  it('a knob changed mid-run applies from the next step; a shape change waits for reset', async () => {
    const t = new Trainer(deps());
    await t.build(def());
    await t.stepAll();
    const res = await t.update(def({ num_generations: 4, optimizer: { learning_rate: 0.3 } }));
    expect(res.needsReset).toEqual([]);
    const r = await t.stepAll();
    expect(r.records.rft!.samples_drawn).toBe(8 * 32 + 8 * 4);
    const shape = await t.update(def({ num_generations: 4, policy: { kind: 'autoregressive' } }));
    expect(shape.needsReset).toEqual(['policy.kind']);
    expect(t.definition.config.policy.kind).toBe('tabular');
  });

  it('changing demo_error_rate rebuilds the data but keeps the trained policy and step count', async () => {
    const t = new Trainer(deps());
    await t.build(def());
    for (let i = 0; i < 20; i++) await t.stepAll();
    const before = await t.snapshot('sft', 0);
    const res = await t.update(def({ demo_error_rate: 1 }));
    const after = await t.snapshot('sft', 0);
    expect(after!.heatmap).toEqual(before!.heatmap);
    expect(after!.step).toBe(20);
    // Every demonstration is now wrong: none equals the reference of its prompt.
    const task = resolveTask(loadConfig({ demo_error_rate: 1 }));
    expect(task.demos.every((d) => d.answer !== task.items[d.prompt].reference)).toBe(true);
    expect(res.run!.demos).toEqual(task.demos.map((d) => ({ prompt: task.items[d.prompt].prompt, answer: d.answer })));
    const r = await t.stepAll();
    expect(r.records.sft!.step).toBe(21);
  });

  it('a runaway learning rate stops the lane with a plain message and keeps its last good policy', async () => {
    const t = new Trainer(deps());
    await t.build(def({ task: 'add', optimizer: { learning_rate: 1e38 } }, { rft: false, dpo: false }));
    let failure = null;
    let before = await t.snapshot('sft', 0);
    for (let i = 0; i < 50 && !failure; i++) {
      before = await t.snapshot('sft', 0);
      failure = (await t.stepAll()).failure;
    }
    expect(failure).toMatchObject({ lane: 'sft', reason: 'diverged' });
    expect(failure!.message).toMatch(/learning rate/);
    const after = await t.snapshot('sft', 0);
    expect(after!.heatmap).toEqual(before!.heatmap);
    expect(after!.heatmap.flat().every(Number.isFinite)).toBe(true);
  });

  it('a grader that fails on every sample stops the lane with the grader’s message', async () => {
    const failing: Grader = {
      name: 'broken',
      async grade(samples) {
        return { scores: new Float64Array(samples.length), errors: samples.length, firstError: 'grade is not defined' };
      },
    };
    const t = new Trainer(deps({ createGrader: (spec: GraderSpec) => (spec.type === 'broken' ? failing : createGrader(spec)) }));
    await t.build(def({ grader: { type: 'broken' } }, { dpo: false, sft: false }));
    const r = await t.stepAll();
    expect(r.failure).toMatchObject({ lane: 'rft', reason: 'grader', step: 1 });
    expect(r.failure!.message).toMatch(/grade is not defined/);
  });

  it('DPO gallery shows implicit rewards β·(log π − log π_ref), chosen above rejected after training', async () => {
    const backends: CpuBackend[] = [];
    const t = new Trainer(
      deps({
        chooseBackend: async (_pref, state) => {
          const backend = new CpuBackend(state);
          backends.push(backend);
          return { backend, badge: 'CPU — test' };
        },
      }),
    );
    const info = await t.build(def({}, { rft: false, sft: false }));
    for (let i = 0; i < 30; i++) await t.stepAll();
    const snap = await t.snapshot('dpo', 0);
    const state = await backends[1].readState(); // build order: rft, dpo, sft
    const vocab = new Vocabulary(resolveTask(defaultConfig()).alphabet);
    const beta = defaultConfig().dpo.beta;
    expect(snap!.pairs!.length).toBe(8);
    for (const p of snap!.pairs!) {
      const prompt = info.prompts.indexOf(p.prompt);
      const want = (answer: string) => beta * (answerLogProb(state.logits, state.shape, prompt, answer, vocab) - answerLogProb(state.ref, state.shape, prompt, answer, vocab));
      expect(p.chosenReward).toBeCloseTo(want(p.chosen), 9);
      expect(p.rejectedReward).toBeCloseTo(want(p.rejected), 9);
      expect(p.chosenReward).toBeGreaterThan(p.rejectedReward);
    }
  });

  it('reports the grader in use and, separately, the task’s own (what "Task default" means)', async () => {
    const t = new Trainer(deps());
    expect(await t.build(def({ task: 'palindrome' }))).toMatchObject({ graderName: 'is_palindrome', taskGraderName: 'is_palindrome' });
    const custom = await t.build(def({ task: 'palindrome', grader: { type: 'js', name: 'mine', source: 'function grade() { return 1; }' } }));
    expect(custom).toMatchObject({ graderName: 'mine', taskGraderName: 'is_palindrome' });
    const unnamed = await t.build(def({ task: 'reverse', grader: { type: 'regex', pattern: 'a' } }));
    expect(unnamed).toMatchObject({ graderName: 'regex', taskGraderName: 'exact_match' });
  });

  it('the test bench grades one answer with the current grader', async () => {
    const t = new Trainer(deps());
    const info = await t.build(def());
    const prompt = info.prompts[0];
    const right = [...prompt].reverse().join('');
    expect((await t.gradeAnswer(right, 0)).score).toBe(1);
    expect((await t.gradeAnswer(right + 'a', 0)).score).toBe(0);
  });
});

describe('TrainingSession', () => {
  const session = () => {
    const events: WorkerEvent[] = [];
    const s = new TrainingSession({ ...deps(), tasks: [] });
    const start = s.start((e) => events.push(e));
    return { s, events, start };
  };

  it('plays to the configured step count with batched updates and stops with "finished"', async () => {
    const { s, events, start } = session();
    const r = await s.reset({ ...start.defaults, config: { ...start.defaults.config, steps: 120 } });
    expect(r.ok).toBe(true);
    s.setSpeed(null);
    const t0 = performance.now();
    s.play();
    while (s.progress().playing) await new Promise((ok) => setTimeout(ok, 20));
    const seconds = (performance.now() - t0) / 1000;
    // The loop stops playing, then posts its last batch and "finished": on a loaded machine they may land a moment later.
    for (const t1 = Date.now(); Date.now() - t1 < 5_000 && events.at(-1)?.type !== 'finished'; ) await new Promise((ok) => setTimeout(ok, 20));
    const batches = events.filter((e) => e.type === 'batch');
    expect(events.at(-1)!.type).toBe('finished');
    // ≤ 30 batches a second (+2 for the forced ones at reset and at the end).
    expect(batches.length).toBeLessThanOrEqual(Math.ceil(seconds * 30) + 2);
    const steps = batches.flatMap((b) => (b.type === 'batch' ? (b.records.rft ?? []).map((x) => x.step) : []));
    expect(steps).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it('pause stops between steps, step does exactly one, a bad value is refused with its field path', async () => {
    const { s, start } = session();
    await s.reset(start.defaults);
    s.setSpeed(null);
    s.play();
    // The first step also starts the graders' workers.
    for (let t = 0; t < 100 && s.progress().step === 0; t++) await new Promise((ok) => setTimeout(ok, 20));
    await new Promise((ok) => setTimeout(ok, 50));
    await s.pause();
    const at = s.progress().step;
    expect(at).toBeGreaterThan(0);
    await new Promise((ok) => setTimeout(ok, 50));
    expect(s.progress().step).toBe(at);
    await s.stepOnce();
    expect(s.progress().step).toBe(at + 1);
    const bad = await s.update({ ...start.defaults, config: { ...start.defaults.config, rft: { ...start.defaults.config.rft, epsilon: -1 } } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors[0]).toMatch(/^config\.rft\.epsilon = -1/);
  });

  it('a failing lane pauses the run and posts a failure event', async () => {
    const { s, events, start } = session();
    await s.reset({ config: { ...start.defaults.config, task: 'add', optimizer: { ...start.defaults.config.optimizer, learning_rate: 1e38 } }, lanes: { rft: false, dpo: false, sft: true } });
    s.setSpeed(null);
    s.play();
    while (s.progress().playing) await new Promise((ok) => setTimeout(ok, 10));
    const failure = events.find((e) => e.type === 'failure');
    expect(failure).toBeDefined();
    expect(failure!.type === 'failure' && failure!.failure.reason).toBe('diverged');
  });

  it('checkGrader reports a broken spec without touching the running grader', async () => {
    const { s, start } = session();
    await s.reset(start.defaults);
    const check = await s.checkGrader({ type: 'string_check', operation: 'almost' });
    expect(check.ok).toBe(false);
    expect(check.problems[0].message).toMatch(/operation/);
    expect((await s.gradeAnswer('zzz', 0)).score).toBe(0);
  });
});
