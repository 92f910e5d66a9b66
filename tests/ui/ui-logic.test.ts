/** UI logic without a DOM: metric history and chart points, knobs, chart specs, redraw scheduling, messages. */
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/engine/config.ts';
import { HELD_OUT_DASH, histogram, LANE_STYLE, lossChart, sharedCharts } from '../../src/ui/chart-specs.ts';
import { fieldValue, GRADER_TEMPLATES, locateProblem } from '../../src/ui/grader-forms.ts';
import { cpuStepsPerSecond, DATA_KNOBS, getPath, LANE_KNOBS, logToSlider, NEURAL_KNOBS, setPath, SHARED_KNOBS, sliderToLog, withPolicyKind, type Knob } from '../../src/ui/knobs.ts';
import type { PolicyKind } from '../../src/engine/enums.ts';
import { MetricHistory } from '../../src/ui/metric-history.ts';
import { RedrawScheduler } from '../../src/ui/redraw-scheduler.ts';
import type { LaneRecord } from '../../src/worker/protocol.ts';

const rec = (step: number, reward: number, extra: Record<string, number> = {}): LaneRecord => ({
  step,
  reward,
  loss: 1 / step,
  samples_drawn: step * 256,
  labelled_examples: step * 8,
  ...extra,
});

describe('MetricHistory', () => {
  it('builds chart points per budget and extends them in place as batches arrive', () => {
    const h = new MetricHistory();
    h.append({ rft: [rec(1, 0), rec(2, 0.5)], dpo: [rec(1, 0.1)] });
    const pts = h.points('rft', 'reward', 'steps');
    expect(pts).toEqual([
      { x: 1, y: 0 },
      { x: 2, y: 0.5 },
    ]);
    h.append({ rft: [rec(3, 1)] });
    const again = h.points('rft', 'reward', 'steps');
    expect(again).toBe(pts);
    expect(again.map((p) => p.x)).toEqual([1, 2, 3]);
    expect(h.points('rft', 'reward', 'samples').map((p) => p.x)).toEqual([256, 512, 768]);
    expect(h.points('rft', 'reward', 'labelled').map((p) => p.x)).toEqual([8, 16, 24]);
    expect(h.points('dpo', 'reward', 'steps')).toEqual([{ x: 1, y: 0.1 }]);
  });
  it('skips missing and non-finite values instead of drawing spikes', () => {
    const h = new MetricHistory();
    h.append({ rft: [rec(1, 0, { clip_ratio: 0.1 }), rec(2, Number.NaN), rec(3, 1, { clip_ratio: 0.3 })] });
    expect(h.points('rft', 'reward', 'steps').map((p) => p.x)).toEqual([1, 3]);
    expect(h.points('rft', 'clip_ratio', 'steps')).toEqual([
      { x: 1, y: 0.1 },
      { x: 3, y: 0.3 },
    ]);
  });
  it('clear forgets records and cached series', () => {
    const h = new MetricHistory();
    h.append({ sft: [rec(1, 1)] });
    h.points('sft', 'reward', 'steps');
    h.clear();
    expect(h.points('sft', 'reward', 'steps')).toEqual([]);
    expect(h.last('sft')).toBeUndefined();
  });
});

describe('held-out lines in the reward chart', () => {
  it('with held-out prompts each lane has a solid train line and a dashed held-out line in its colour, the gap named', () => {
    const reward = sharedCharts(['rft', 'dpo', 'sft'], [], true)[0];
    for (const lane of ['rft', 'dpo', 'sft'] as const) {
      const train = reward.lines.find((l) => l.lane === lane && l.metric === 'reward')!;
      const held = reward.lines.find((l) => l.lane === lane && l.metric === 'eval_reward')!;
      expect(train.dash).toEqual([]);
      expect(held.dash).toEqual(HELD_OUT_DASH);
      expect(held.color).toBe(train.color);
      expect(held.gapTo).toBe('reward');
      expect(held.label).toMatch(/held-out/);
    }
    // Without held-out prompts the chart is as before: one line per lane in its own dash.
    const plain = sharedCharts(['rft', 'dpo'], [], false)[0];
    expect(plain.lines.map((l) => [l.metric, l.dash])).toEqual([['reward', LANE_STYLE.rft.dash], ['reward', LANE_STYLE.dpo.dash]]);
  });
});

describe('knobs', () => {
  const all: Knob[] = [...SHARED_KNOBS, ...DATA_KNOBS, ...Object.values(LANE_KNOBS).flat()];
  it('every knob points at a config field, and its range is accepted by the config schema', () => {
    const table = defaultConfig();
    const neural = withPolicyKind(table, 'transformer');
    for (const [cfg, knobs] of [[table, all], [neural, NEURAL_KNOBS]] as const) {
      for (const k of knobs) {
        const current = getPath(cfg, k.path);
        expect(current, k.path).not.toBeUndefined();
        // A select over a numeric field sends numbers (KnobControl converts by the field's current type).
        const values = k.kind === 'select' ? k.options.map((o) => (typeof current === 'number' ? Number(o.value) : o.value)) : [k.min, k.max];
        for (const v of values) {
          // The page switches kinds with withPolicyKind: the learning rate and starting policy follow the kind.
          const next = k.path === 'policy.kind' ? withPolicyKind(cfg, v as PolicyKind) : setPath(cfg, k.path, v);
          const r = parseConfig(next);
          expect(r.ok, `${k.path} = ${v}: ${r.ok ? '' : r.errors[0].message}`).toBe(true);
        }
      }
    }
  });
  it('switching the policy kind takes the new kind\'s batch, optimizer and starting policy, as a config that names only the kind gets them', () => {
    const neural = withPolicyKind({ ...defaultConfig(), optimizer: { ...defaultConfig().optimizer, learning_rate: 0.3 } }, 'transformer');
    const fresh = parseConfig({ policy: { kind: 'transformer' } });
    expect(fresh.ok).toBe(true);
    if (!fresh.ok) return;
    expect(neural).toEqual(fresh.config);
    // The measured RFT recipe of tests/learning.
    expect([neural.batch_prompts, neural.num_generations, neural.policy.init]).toEqual([16, 16, 'base']);
    expect(neural.optimizer).toMatchObject({ learning_rate: 1e-3, warmup_steps: 20, lr_scheduler_type: 'linear', adam_beta2: 0.98 });
    const back = withPolicyKind(neural, 'tabular');
    expect(back).toEqual(defaultConfig());
    expect([back.batch_prompts, back.num_generations, back.optimizer.learning_rate, back.optimizer.warmup_steps, back.optimizer.lr_scheduler_type, back.optimizer.adam_beta2, back.policy.init]).toEqual([8, 32, 0.1, 0, 'constant', 0.999, 'uniform']);
    // A field the config gives is kept, whatever the kind.
    const given = parseConfig({ policy: { kind: 'transformer' }, batch_prompts: 4, optimizer: { warmup_steps: 0, adam_beta2: 0.95 } });
    expect(given.ok && [given.config.batch_prompts, given.config.num_generations, given.config.optimizer.warmup_steps, given.config.optimizer.adam_beta2]).toEqual([4, 16, 0, 0.95]);
  });
  it('the CPU speed estimate follows the cost: more parameters or samples, fewer steps a second', () => {
    const cfg = withPolicyKind(defaultConfig(), 'transformer');
    const big = cpuStepsPerSecond(cfg, 26_000, ['rft', 'dpo', 'sft']);
    expect(cpuStepsPerSecond(cfg, 4_000, ['rft', 'dpo', 'sft'])).toBeGreaterThan(5 * big);
    expect(cpuStepsPerSecond(cfg, 26_000, ['sft'])).toBeGreaterThan(big);
    // Fitted to the bench: RFT at 2 layers × 32 (26,560 parameters), 16 prompts × 16 generations ≈ 2.7 steps/s.
    expect(cpuStepsPerSecond({ ...cfg, batch_prompts: 16, num_generations: 16 }, 26_560, ['rft'])).toBeCloseTo(2.8, 0);
  });
  it('the DPO loss select offers every loss the engine has, cdpo included', () => {
    const loss = LANE_KNOBS.dpo.find((k) => k.path === 'dpo.loss_type');
    expect(loss?.kind).toBe('select');
    const offered = loss?.kind === 'select' ? loss.options.map((o) => o.value) : [];
    // The engine's dpo.loss_type values (src/engine/config.ts), and nothing it refuses.
    expect(offered.sort()).toEqual(['cdpo', 'hinge', 'ipo', 'robust', 'sigmoid']);
    expect(parseConfig(setPath(defaultConfig(), 'dpo.loss_type', 'exo_pair')).ok).toBe(false);
  });
  it('every knob has a one-line explanation', () => {
    for (const k of all) {
      expect(k.help.length).toBeGreaterThan(10);
      expect(k.help).not.toMatch(/\n/);
    }
  });
  it('setPath copies and leaves the original alone', () => {
    const cfg = defaultConfig();
    const next = setPath(cfg, 'rft.epsilon', 0.5);
    expect(next.rft.epsilon).toBe(0.5);
    expect(cfg.rft.epsilon).toBe(0.2);
    expect(next.dpo).toBe(cfg.dpo);
  });
  it('the log slider maps its ends to the range and round-trips values', () => {
    expect(sliderToLog(0, 1e-3, 100)).toBe(1e-3);
    expect(sliderToLog(1000, 1e-3, 100)).toBe(100);
    expect(sliderToLog(logToSlider(0.1, 1e-3, 100), 1e-3, 100)).toBe(0.1);
    expect(logToSlider(1e38, 1e-3, 100)).toBe(1000);
    // Every slider position shows its own value, and that value puts the thumb back where it was.
    let previous = 0;
    for (let position = 0; position <= 1000; position++) {
      const v = sliderToLog(position, 1e-3, 100);
      expect(v).toBeGreaterThan(previous);
      expect(logToSlider(v, 1e-3, 100)).toBe(position);
      previous = v;
    }
  });
});

describe('chart specs', () => {
  it('the reward chart has one line per enabled lane in the lane colours', () => {
    const reward = sharedCharts(['rft', 'sft']).find((c) => c.id === 'reward')!;
    expect(reward.lines.map((l) => [l.lane, l.color])).toEqual([
      ['rft', LANE_STYLE.rft.color],
      ['sft', LANE_STYLE.sft.color],
    ]);
    expect(sharedCharts(['rft', 'sft']).some((c) => c.id === 'dpo-logps')).toBe(false);
    expect(sharedCharts(['dpo']).some((c) => c.id === 'rft-signal')).toBe(false);
    expect(lossChart('dpo').lines[0].metric).toBe('loss');
  });
  it('lanes differ in dash pattern, not only colour', () => {
    const dashes = new Set(Object.values(LANE_STYLE).map((s) => s.dash.join(',')));
    expect(dashes.size).toBe(3);
  });
  it('histogram counts agree with a direct count', () => {
    const values = [0, 0.05, 0.1, 0.5, 0.99, 1, 1, Number.NaN, 2, -1];
    const counts = histogram(values, 10);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(9);
    // 0, 0.05 and the clamped -1 in the first bin; 1, 1 and the clamped 2 in the last.
    expect(counts[0]).toBe(3);
    expect(counts[1]).toBe(1);
    expect(counts[5]).toBe(1);
    expect(counts[9]).toBe(4);
  });
});

describe('RedrawScheduler', () => {
  it('redraws each dirty chart once, spreads work over frames and honours the per-chart interval', () => {
    let t = 0;
    const frames: (() => void)[] = [];
    const s = new RedrawScheduler(8, 50, (cb) => frames.push(cb), () => t);
    const drawn: string[] = [];
    // Each redraw costs 5 ms: two fit in the 8 ms budget... the second one crosses it.
    const chart = (name: string) => ({ redraw: () => (drawn.push(name), (t += 5)) });
    const a = chart('a');
    const b = chart('b');
    const c = chart('c');
    s.request(a);
    s.request(b);
    s.request(c);
    s.request(a);
    expect(frames.length).toBe(1);
    frames.shift()!();
    expect(drawn).toEqual(['a', 'b']);
    frames.shift()!();
    expect(drawn).toEqual(['a', 'b', 'c']);
    expect(frames.length).toBe(0);
    // Asked again at once: not due until 50 ms after its last redraw.
    s.request(a);
    t += 1;
    frames.shift()!();
    expect(drawn).toEqual(['a', 'b', 'c']);
    t += 60;
    frames.shift()!();
    expect(drawn).toEqual(['a', 'b', 'c', 'a']);
    expect(s.pending).toBe(0);
  });
});

describe('grader forms', () => {
  it('reads line and column out of error messages', () => {
    expect(locateProblem('line 3, column 12: SyntaxError: Unexpected token')).toEqual({ line: 3, column: 12 });
    expect(locateProblem('Unexpected token (4:7)')).toEqual({ line: 4, column: 7 });
    expect(locateProblem('grade is not defined')).toEqual({});
  });
  it('number fields refuse text with a message naming the field', () => {
    const tolerance = GRADER_TEMPLATES.find((t) => t.type === 'numeric')!.fields.find((f) => f.name === 'tolerance')!;
    expect(fieldValue(tolerance, '0.5')).toEqual({ ok: true, value: 0.5 });
    expect(fieldValue(tolerance, 'abc')).toEqual({ ok: false, message: 'Tolerance: “abc” is not a number' });
  });
});

describe('chart tick labels', async () => {
  // chart-setup registers chart.js pieces; importing it needs no DOM.
  const { formatTick } = await import('../../src/ui/chart-setup.ts');
  it('keep three significant digits and switch to exponents for tiny or huge values', () => {
    expect(formatTick(1.386294361119892)).toBe('1.39');
    expect(formatTick(0)).toBe('0');
    expect(formatTick(-35.5)).toBe('-35.5');
    expect(formatTick(2400)).toBe('2400');
    expect(formatTick(76800)).toBe('7.7e+4');
    expect(formatTick(0.0001234)).toBe('1.2e-4');
  });
});

describe('failure banner', async () => {
  // playground.svelte.ts uses runes; describeFailure itself is plain.
  const { describeFailure } = await import('../../src/ui/playground.svelte.ts');
  it('says in plain words what stopped, why, and what to do', () => {
    const text = describeFailure({
      lane: 'sft',
      step: 412,
      reason: 'diverged',
      message: 'step 412: the loss or the logits became NaN/Inf (learning rate 1e+38 is probably too high); restored the last good state',
    });
    expect(text).toBe(
      'SFT stopped — step 412: the loss or the logits became NaN/Inf (learning rate 1e+38 is probably too high); restored the last good state. Lower the learning rate and press Play.',
    );
    expect(describeFailure({ lane: 'rft', step: 3, reason: 'grader', message: 'grader failed on every sample of step 3: boom' })).toMatch(/^RFT stopped: the grader failed — .*boom\. Fix the grader/);
  });
});
