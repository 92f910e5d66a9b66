/**
 * The headless trainer (Lane from src/engine/setup.ts) with every kind of
 * grader: 20 RFT steps on "add" each, a custom JS grader that must train
 * exactly like the template it re-implements, reward hacking of a biased
 * simulated judge, and a run that pauses on a runaway grader and resumes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/engine/config.ts';
import type { StepMetrics } from '../../src/engine/lane.ts';
import { initialState, makeLane, resolveTask } from '../../src/engine/setup.ts';
import type { GraderSpec } from '../../src/engine/task.ts';
import { createGrader, EXACT_MATCH, type Grader } from '../../src/graders/index.ts';

const live: Grader[] = [];
afterEach(() => {
  for (const g of live.splice(0)) g.dispose?.();
});

function config(overrides: Record<string, unknown> = {}): Config {
  const r = parseConfig({ task: 'add', objective: 'rft', steps: 20, seed: 3, ...overrides });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.config;
}

function grader(spec: GraderSpec): Grader {
  const g = createGrader(spec);
  live.push(g);
  return g;
}

async function train(spec: GraderSpec, steps: number, evalGraders: Record<string, GraderSpec> = {}): Promise<StepMetrics[]> {
  const cfg = config();
  const task = resolveTask(cfg);
  const lane = makeLane(cfg, {
    task,
    state: initialState(cfg, task),
    grader: grader(spec),
    evalGraders: Object.fromEntries(Object.entries(evalGraders).map(([k, s]) => [k, grader(s)])),
  });
  const out: StepMetrics[] = [];
  for (let s = 0; s < steps; s++) {
    const o = await lane.step();
    if (!o.ok) throw new Error(o.message);
    out.push(o.metrics);
  }
  return out;
}

const JS_EXACT = 'function grade(sample, item) {\n  return sample.output_text === item.reference ? 1 : 0;\n}';

const KINDS: Record<string, GraderSpec> = {
  string_check: EXACT_MATCH,
  text_similarity: { type: 'text_similarity', evaluation_metric: 'fuzzy_match' },
  numeric: { type: 'numeric', partial_credit: 3 },
  regex: { type: 'regex', pattern: '^[0-9]$' },
  multi: {
    type: 'multi',
    graders: { exact: EXACT_MATCH, close: { type: 'numeric', partial_credit: 2 } },
    calculate_output: '0.7 * exact + 0.3 * close',
  },
  simulated_judge: { type: 'simulated_judge', noise: 0.05, seed: 1 },
  js: { type: 'js', source: 'function grade(sample, item) {\n  return 1 / (1 + Math.abs(Number(sample.output_text) - item.a - item.b));\n}' },
};

describe('headless trainer with each kind of grader', () => {
  for (const [kind, spec] of Object.entries(KINDS)) {
    it(`${kind}: 20 RFT steps on "add"`, async () => {
      const m = await train(spec, 20);
      expect(m.map((x) => x.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      for (const x of m) {
        expect(x.grader_errors).toBe(0);
        expect(x.reward).toBeGreaterThanOrEqual(0);
        expect(x.reward).toBeLessThanOrEqual(1);
        expect(Number.isFinite(x.loss)).toBe(true);
      }
    });
  }

  it('a custom JS exact-match grader trains exactly like string_check', async () => {
    const viaTemplate = await train(EXACT_MATCH, 20);
    const viaJs = await train({ type: 'js', source: JS_EXACT }, 20);
    expect(viaJs).toEqual(viaTemplate);
    expect(viaJs.at(-1)!.reward).toBeGreaterThan(viaJs[0].reward);
  });

  it('a simulated judge that likes length gets exploited: padded answers, judge reward up, exact match down', async () => {
    const m = await train({ type: 'simulated_judge', length_bias: 0.6, length_cap: 2 }, 60, { exact: EXACT_MATCH });
    const last = m.slice(-10);
    const judge = last.reduce((s, x) => s + x.reward, 0) / last.length;
    const exact = last.reduce((s, x) => s + x['rewards/exact'], 0) / last.length;
    expect(judge).toBeGreaterThan(0.85);
    // The judge's favourite answers are two or more characters long, which exact match never accepts.
    expect(exact).toBeLessThan(0.3);
  });
});

describe('a runaway grader pauses the run and loses nothing', () => {
  it('times out, pauses with the message, then continues with a fixed grader', async () => {
    const cfg = config();
    const task = resolveTask(cfg);
    const looping = grader({ type: 'js', source: 'function grade(sample) {\n  while (sample.output_text.length > 0) {}\n  return 0;\n}', timeout_ms: 300 });
    const lane = makeLane(cfg, { task, state: initialState(cfg, task), grader: grader(EXACT_MATCH), evalGraders: {} });
    expect((await lane.step()).ok).toBe(true);
    const before = await lane.backend.readState();
    lane.setGrader(looping);
    const paused = await lane.step();
    expect(paused.ok).toBe(false);
    if (paused.ok) return;
    expect(paused.reason).toBe('grader');
    expect(paused.message).toMatch(/^grader failed on every sample of step 2: grader timed out on sample \d+ \(output_text "[0-9]+"\): time limit 300 ms per batch/);
    expect(lane.completed).toBe(1);
    expect(await lane.backend.readState()).toEqual(before);
    lane.setGrader(grader({ type: 'js', source: JS_EXACT }));
    const resumed = await lane.step();
    expect(resumed.ok).toBe(true);
    expect(lane.completed).toBe(2);
  });
});

describe('an evaluation grader that fails on every sample', () => {
  it('leaves its metric out of that step and says why, instead of logging 0; training goes on', async () => {
    const cfg = config();
    const task = resolveTask(cfg);
    const evalGraders = { broken: grader({ type: 'js', source: 'function grade() { throw new Error("no"); }' }), fuzzy: grader({ type: 'text_similarity', evaluation_metric: 'fuzzy_match' }) };
    const lane = makeLane(cfg, { task, state: initialState(cfg, task), grader: grader(EXACT_MATCH), evalGraders });
    const r = await lane.step();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.metrics).not.toHaveProperty('rewards/broken');
    expect(r.metrics['rewards/fuzzy']).toBeGreaterThan(0);
    expect(r.notes).toEqual([expect.stringMatching(/^evaluation grader "broken" failed on every sample \(grader threw on sample 0 .*Error: no\); rewards\/broken is left out of this step$/)]);
  });
});
