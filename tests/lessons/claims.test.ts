/** The claim checker on hand-made records, so a claim can be seen to fail as well as hold. */
import { describe, expect, it } from 'vitest';
import { checkClaim, firstStepReaching, MissingSeriesError, windowedMean, type RunRecords } from '../../src/lessons/claims.ts';
import type { Claim } from '../../src/lessons/types.ts';
import type { StepMetrics } from '../../src/engine/lane.ts';

const series = (values: number[], metric = 'reward') => values.map((v, i) => ({ step: i + 1, [metric]: v }));

const records: RunRecords = {
  a: { rft: series([0, 0, 0.2, 0.6, 0.8, 1]), sft: series([0.5, 0.6, 0.7, 0.7, 0.7, 0.7]) },
  b: { rft: series([0, 0, 0, 0, 0.6, 0.9]) },
};

describe('windowed means', () => {
  it('averages the last or first steps', () => {
    expect(windowedMean(records, { run: 'a', lane: 'rft', metric: 'reward', window: 2 })).toBeCloseTo(0.9, 12);
    expect(windowedMean(records, { run: 'a', lane: 'rft', metric: 'reward', window: 3, at: 'start' })).toBeCloseTo(0.2 / 3, 12);
    // A window longer than the run uses the whole run.
    expect(windowedMean(records, { run: 'b', lane: 'rft', metric: 'reward', window: 100 })).toBeCloseTo(1.5 / 6, 12);
  });

  it('names what is missing', () => {
    expect(() => windowedMean(records, { run: 'c', lane: 'rft', metric: 'reward', window: 2 })).toThrow(MissingSeriesError);
    expect(() => windowedMean(records, { run: 'a', lane: 'dpo', metric: 'reward', window: 2 })).toThrow(/no records for run "a", lane "dpo" \(runs recorded: a, b\)/);
    expect(() => windowedMean(records, { run: 'a', lane: 'rft', metric: 'kl', window: 2 })).toThrow(/step 1 has no metric "kl" \(it has: step, reward\)/);
  });
});

describe('firstStepReaching', () => {
  it('returns the 1-based step at which the moving mean first reaches the threshold', () => {
    expect(firstStepReaching([0, 0, 0.2, 0.6, 0.8, 1], 0.5, 2)).toBe(5); // (0.2+0.6)/2 = 0.4 at step 4, (0.6+0.8)/2 = 0.7 at step 5
    expect(firstStepReaching([0, 0, 0.2, 0.6, 0.8, 1], 0.5, 1)).toBe(4);
    expect(firstStepReaching([0.1, 0.2], 0.5, 1)).toBeNull();
    expect(firstStepReaching([1], 0.5, 2)).toBeNull(); // never a full window
  });
});

describe('checkClaim', () => {
  const verdict = (c: Claim) => checkClaim(c, records);
  it('approx, at-least, at-most hold and fail by their bounds', () => {
    const of = { run: 'a', lane: 'sft' as const, metric: 'reward', window: 4 };
    expect(verdict({ statement: 's', kind: 'approx', of, value: 0.72, tolerance: 0.03 }).holds).toBe(true);
    expect(verdict({ statement: 's', kind: 'approx', of, value: 0.8, tolerance: 0.05 }).holds).toBe(false);
    expect(verdict({ statement: 's', kind: 'at-least', of, value: 0.7 }).holds).toBe(true);
    expect(verdict({ statement: 's', kind: 'at-least', of, value: 0.71 }).holds).toBe(false);
    expect(verdict({ statement: 's', kind: 'at-most', of, value: 0.7 }).holds).toBe(true);
    expect(verdict({ statement: 's', kind: 'at-most', of, value: 0.69 }).detail).toBe('a/sft reward (last 4 steps) = 0.700; expected ≤ 0.690');
  });

  it('greater respects its margin', () => {
    const of = { run: 'a', lane: 'rft' as const, metric: 'reward', window: 2 }; // 0.9
    const than = { run: 'b', lane: 'rft' as const, metric: 'reward', window: 2 }; // 0.75
    expect(verdict({ statement: 's', kind: 'greater', of, than }).holds).toBe(true);
    expect(verdict({ statement: 's', kind: 'greater', of, than, margin: 0.1 }).holds).toBe(true);
    expect(verdict({ statement: 's', kind: 'greater', of, than, margin: 0.2 }).holds).toBe(false);
    expect(verdict({ statement: 's', kind: 'greater', of: than, than: of }).holds).toBe(false);
  });

  it('reaches-sooner compares first crossings, and a series that never crosses loses', () => {
    const a = { run: 'a', lane: 'rft' as const, metric: 'reward' };
    const b = { run: 'b', lane: 'rft' as const, metric: 'reward' };
    const sooner = verdict({ statement: 's', kind: 'reaches-sooner', first: a, second: b, threshold: 0.5, window: 1 });
    expect(sooner.holds).toBe(true);
    expect(sooner.detail).toBe('a/rft reward reaches 0.500 at step 4, b/rft reward at step 5 (mean over 1 steps)');
    expect(verdict({ statement: 's', kind: 'reaches-sooner', first: b, second: a, threshold: 0.5, window: 1 }).holds).toBe(false);
    expect(verdict({ statement: 's', kind: 'reaches-sooner', first: a, second: b, threshold: 0.95, window: 1 }).holds).toBe(true); // b never
    expect(verdict({ statement: 's', kind: 'reaches-sooner', first: b, second: a, threshold: 0.95, window: 1 }).holds).toBe(false); // first never
  });
});

describe('held-out (eval_*) metrics are sparse', () => {
  // A step-0 record with the starting policy's evaluation only, then an evaluation every second step.
  const lane: StepMetrics[] = [
    { step: 0, eval_reward: 0.1 },
    { step: 1, reward: 0.2 },
    { step: 2, reward: 0.3, eval_reward: 0.2 },
    { step: 3, reward: 0.4 },
    { step: 4, reward: 0.5, eval_reward: 0.6 },
  ];
  const recs: RunRecords = { r: { sft: lane, rft: series([0.1, 0.2, 0.3, 0.4]) } };
  const evalRef = { run: 'r', lane: 'sft' as const, metric: 'eval_reward' };

  it('a window over an eval_* metric counts evaluations, and its start is the step-0 evaluation', () => {
    expect(windowedMean(recs, { ...evalRef, window: 2 })).toBeCloseTo(0.4, 12);
    expect(windowedMean(recs, { ...evalRef, window: 1, at: 'start' })).toBeCloseTo(0.1, 12);
    expect(checkClaim({ statement: 's', kind: 'at-least', of: { ...evalRef, window: 2 }, value: 0.4 }, recs).detail).toBe('r/sft eval_reward (last 2 evaluations) = 0.400; expected ≥ 0.400');
  });

  it('a dense metric skips the step-0 record, which is not a training step', () => {
    expect(windowedMean(recs, { run: 'r', lane: 'sft', metric: 'reward', window: 1, at: 'start' })).toBeCloseTo(0.2, 12);
    expect(windowedMean(recs, { run: 'r', lane: 'sft', metric: 'reward', window: 10 })).toBeCloseTo(0.35, 12);
    expect(() => windowedMean({ r: { sft: [{ step: 0, eval_reward: 0.1 }] } }, { run: 'r', lane: 'sft', metric: 'reward', window: 1 })).toThrow(/has no steps yet/);
  });

  it('reaches-sooner names the step of the evaluation that crossed, not its index', () => {
    const v = checkClaim({ statement: 's', kind: 'reaches-sooner', first: evalRef, second: { run: 'r', lane: 'rft', metric: 'reward' }, threshold: 0.5, window: 1 }, recs);
    expect(v.holds).toBe(true);
    expect(v.detail).toBe('r/sft eval_reward reaches 0.500 at step 4, r/rft reward never (mean over 1 evaluations)');
  });

  it('says so when a lane has no evaluation of the metric', () => {
    expect(() => windowedMean(recs, { run: 'r', lane: 'rft', metric: 'eval_reward', window: 1 })).toThrow(/run "r", lane "rft" has no evaluation with "eval_reward" yet/);
  });
});
