/**
 * Checking a lesson's claims against metric records. The same function serves
 * the tests (a preset run headless) and the page (a "✓ shown" badge once the
 * class has run the experiment), so a claim means one thing everywhere.
 */
import type { StepMetrics } from '../engine/lane.ts';
import type { Claim, MetricRef, WindowedMetric } from './types.ts';

/** Metric records of every lane of every run: `records[runId][lane]`, one record per completed step. */
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

export function seriesOf(records: RunRecords, ref: MetricRef): number[] {
  const lane = records[ref.run]?.[ref.lane];
  if (!lane) throw new MissingSeriesError(`no records for run "${ref.run}", lane "${ref.lane}" (runs recorded: ${Object.keys(records).join(', ') || 'none'})`);
  if (lane.length === 0) throw new MissingSeriesError(`run "${ref.run}", lane "${ref.lane}" has no steps yet`);
  return lane.map((m, i) => {
    const v = m[ref.metric];
    if (typeof v !== 'number') {
      throw new MissingSeriesError(`run "${ref.run}", lane "${ref.lane}", step ${m.step ?? i + 1} has no metric "${ref.metric}" (it has: ${Object.keys(m).join(', ')})`);
    }
    return v;
  });
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
  return `${w.run}/${w.lane} ${w.metric} (${w.at === 'start' ? 'first' : 'last'} ${w.window} steps)`;
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
      const a = firstStepReaching(seriesOf(records, claim.first), claim.threshold, claim.window);
      const b = firstStepReaching(seriesOf(records, claim.second), claim.threshold, claim.window);
      const name = (r: MetricRef) => `${r.run}/${r.lane} ${r.metric}`;
      const when = (s: number | null) => (s === null ? 'never' : `at step ${s}`);
      return {
        claim,
        holds: a !== null && (b === null || a < b),
        detail: `${name(claim.first)} reaches ${fmt(claim.threshold)} ${when(a)}, ${name(claim.second)} ${when(b)} (mean over ${claim.window} steps)`,
      };
    }
  }
}

export function checkClaims(claims: readonly Claim[], records: RunRecords): ClaimVerdict[] {
  return claims.map((c) => checkClaim(c, records));
}
