/**
 * Checking a lesson's claims against metric records. The same function serves
 * the tests (a preset run headless) and the page (a "✓ shown" badge once the
 * class has run the experiment), so a claim means one thing everywhere.
 */
import type { StepMetrics } from '../engine/lane.ts';
import type { Claim, MetricRef, WindowedMetric } from './types.ts';

/**
 * Metric records of every lane of every run: `records[runId][lane]`, one record per completed step, after an
 * optional step-0 record holding only the starting policy's held-out evaluation (eval_* metrics).
 */
export type RunRecords = Record<string, Partial<Record<string, readonly StepMetrics[]>>>;

export interface ClaimVerdict {
  claim: Claim;
  holds: boolean;
  /** The numbers behind the verdict, e.g. "sft reward (last 50 steps) = 0.703; expected 0.7 ± 0.08". */
  detail: string;
}

/** A claim that names a run, lane or metric the records do not have: a mistake in the lesson, not a failed experiment. */
export class MissingSeriesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingSeriesError';
  }
}

/**
 * Held-out metrics (`eval_reward`, `eval_rewards/<name>`, `eval_copy_rate`, …) are logged only on steps that are
 * multiples of `eval_steps`, and in a step-0 record before the first step (the starting policy): a sparse series.
 */
export function isEvalMetric(metric: string): boolean {
  return metric.startsWith('eval_');
}

/** A metric's values with the steps they were logged at, in step order. */
export interface Series {
  steps: number[];
  values: number[];
}

/**
 * The series a claim reads. An `eval_*` metric: the records that have it (step 0 included), so a window counts
 * evaluations. Any other metric: every training step, each of which must have it; the step-0 record (evaluations
 * only) is not a training step and is skipped.
 */
export function seriesPoints(records: RunRecords, ref: MetricRef): Series {
  const lane = records[ref.run]?.[ref.lane];
  if (!lane) throw new MissingSeriesError(`no records for run "${ref.run}", lane "${ref.lane}" (runs recorded: ${Object.keys(records).join(', ') || 'none'})`);
  const steps: number[] = [];
  const values: number[] = [];
  if (isEvalMetric(ref.metric)) {
    for (const m of lane) {
      const v = m[ref.metric];
      if (typeof v === 'number') {
        steps.push(m.step);
        values.push(v);
      }
    }
    if (values.length === 0) {
      throw new MissingSeriesError(`run "${ref.run}", lane "${ref.lane}" has no evaluation with "${ref.metric}" yet (held-out metrics are logged at step 0 and every eval_steps steps, when the task holds prompts out)`);
    }
    return { steps, values };
  }
  lane.forEach((m, i) => {
    if (m.step === 0) return;
    const v = m[ref.metric];
    if (typeof v !== 'number') {
      throw new MissingSeriesError(`run "${ref.run}", lane "${ref.lane}", step ${m.step ?? i + 1} has no metric "${ref.metric}" (it has: ${Object.keys(m).join(', ')})`);
    }
    steps.push(m.step ?? i + 1);
    values.push(v);
  });
  if (values.length === 0) throw new MissingSeriesError(`run "${ref.run}", lane "${ref.lane}" has no steps yet`);
  return { steps, values };
}

export function seriesOf(records: RunRecords, ref: MetricRef): number[] {
  return seriesPoints(records, ref).values;
}

export function windowedMean(records: RunRecords, w: WindowedMetric): number {
  const series = seriesOf(records, w);
  const n = Math.min(w.window, series.length);
  const part = w.at === 'start' ? series.slice(0, n) : series.slice(series.length - n);
  return part.reduce((a, b) => a + b, 0) / n;
}

/** The first step (1-based) at which the mean over the last `window` steps reaches `threshold`, or null. */
export function firstStepReaching(series: readonly number[], threshold: number, window: number): number | null {
  let sum = 0;
  for (let i = 0; i < series.length; i++) {
    sum += series[i];
    if (i >= window) sum -= series[i - window];
    if (i >= window - 1 && sum / window >= threshold) return i + 1;
  }
  return null;
}

function describe(w: WindowedMetric): string {
  return `${w.run}/${w.lane} ${w.metric} (${w.at === 'start' ? 'first' : 'last'} ${w.window} ${isEvalMetric(w.metric) ? 'evaluations' : 'steps'})`;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(3));

export function checkClaim(claim: Claim, records: RunRecords): ClaimVerdict {
  switch (claim.kind) {
    case 'approx': {
      const v = windowedMean(records, claim.of);
      return { claim, holds: Math.abs(v - claim.value) <= claim.tolerance, detail: `${describe(claim.of)} = ${fmt(v)}; expected ${fmt(claim.value)} ± ${fmt(claim.tolerance)}` };
    }
    case 'at-least': {
      const v = windowedMean(records, claim.of);
      return { claim, holds: v >= claim.value, detail: `${describe(claim.of)} = ${fmt(v)}; expected ≥ ${fmt(claim.value)}` };
    }
    case 'at-most': {
      const v = windowedMean(records, claim.of);
      return { claim, holds: v <= claim.value, detail: `${describe(claim.of)} = ${fmt(v)}; expected ≤ ${fmt(claim.value)}` };
    }
    case 'greater': {
      const a = windowedMean(records, claim.of);
      const b = windowedMean(records, claim.than);
      const margin = claim.margin ?? 0;
      return {
        claim,
        holds: a > b + margin,
        detail: `${describe(claim.of)} = ${fmt(a)} vs ${describe(claim.than)} = ${fmt(b)}; expected the first to exceed the second by more than ${fmt(margin)}`,
      };
    }
    case 'reaches-sooner': {
      // The step each series crosses at, read from its records: a sparse (eval_*) series' nth point is not step n.
      const reach = (ref: MetricRef) => {
        const s = seriesPoints(records, ref);
        const i = firstStepReaching(s.values, claim.threshold, claim.window);
        return i === null ? null : s.steps[i - 1];
      };
      const a = reach(claim.first);
      const b = reach(claim.second);
      const name = (r: MetricRef) => `${r.run}/${r.lane} ${r.metric}`;
      const when = (s: number | null) => (s === null ? 'never' : `at step ${s}`);
      return {
        claim,
        holds: a !== null && (b === null || a < b),
        detail: `${name(claim.first)} reaches ${fmt(claim.threshold)} ${when(a)}, ${name(claim.second)} ${when(b)} (mean over ${claim.window} ${isEvalMetric(claim.first.metric) ? 'evaluations' : 'steps'})`,
      };
    }
  }
}

export function checkClaims(claims: readonly Claim[], records: RunRecords): ClaimVerdict[] {
  return claims.map((c) => checkClaim(c, records));
}
