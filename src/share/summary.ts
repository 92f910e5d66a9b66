/**
 * The sentence a screen reader announces for a chart, e.g.
 * "RFT reward 0.82, up from 0.10; DPO 0.64, up from 0.12; SFT 0.71".
 * Numbers are rounded to what the ear can take in; a lane with no data yet,
 * or a value that is not a number (a diverged step), is said in words.
 */
import type { StepMetrics } from '../engine/lane.ts';
import { LANE_IDS, type LaneId } from './run-state.ts';

export const LANE_NAMES: Record<LaneId, string> = { rft: 'RFT', dpo: 'DPO', sft: 'SFT' };

export interface ChartSpec {
  /** The metric key in the step records, e.g. "reward", "loss", "rewards/exact". */
  metric: string;
  /** How to say it, e.g. "reward"; defaults to the metric key. */
  label?: string;
}

export interface SummaryOptions {
  /** Decimals for values of magnitude ≥ 0.01 (default 2). Smaller non-zero values keep two significant digits. */
  decimals?: number;
  /** Append "at step N" (the latest step of any lane). */
  withStep?: boolean;
}

/** A value as it is spoken: rounded, small values with two significant digits, "not a number" spelled out. */
export function formatValue(v: number, decimals = 2): string {
  if (Number.isNaN(v)) return 'not a number';
  if (!Number.isFinite(v)) return v > 0 ? 'infinity' : 'minus infinity';
  const magnitude = Math.abs(v);
  if (magnitude !== 0 && magnitude < 0.5 * 10 ** -decimals) return String(Number(v.toPrecision(2)));
  const text = v.toFixed(decimals);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** The series of one metric in one lane, in step order, skipping steps that did not log it. */
function series(records: readonly StepMetrics[], metric: string): { step: number; value: number }[] {
  const out: { step: number; value: number }[] = [];
  for (const r of records) {
    const v = r[metric];
    if (typeof v === 'number') out.push({ step: r.step, value: v });
  }
  return out;
}

function trend(first: number, last: number, decimals: number): string {
  const a = formatValue(first, decimals);
  const b = formatValue(last, decimals);
  if (a === b || !Number.isFinite(first) || !Number.isFinite(last)) return '';
  return last > first ? `, up from ${a}` : `, down from ${a}`;
}

/**
 * One sentence for a chart over the lanes given (absent lanes are not
 * mentioned; a lane given with no records is "no data yet").
 */
export function chartSummary(chart: ChartSpec, lanes: Partial<Record<LaneId, readonly StepMetrics[]>>, options: SummaryOptions = {}): string {
  const label = chart.label ?? chart.metric;
  const decimals = options.decimals ?? 2;
  const parts: string[] = [];
  let latestStep = -1;
  for (const id of LANE_IDS) {
    const records = lanes[id];
    if (!records) continue;
    const points = series(records, chart.metric);
    const name = parts.length === 0 ? `${LANE_NAMES[id]} ${label}` : LANE_NAMES[id];
    if (points.length === 0) {
      parts.push(`${name}: no data yet`);
      continue;
    }
    const first = points[0];
    const last = points[points.length - 1];
    latestStep = Math.max(latestStep, last.step);
    parts.push(`${name} ${formatValue(last.value, decimals)}${points.length > 1 ? trend(first.value, last.value, decimals) : ''}`);
  }
  if (parts.length === 0) return `${capitalise(label)}: no lanes are on.`;
  const step = options.withStep && latestStep >= 0 ? ` at step ${latestStep}` : '';
  return parts.join('; ') + step + '.';
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Paces a live region. Screen readers queue every change of an aria-live
 * region and the charts change up to 30 times a second, so a changed sentence
 * is announced at most once per interval; `final` (training paused or
 * finished) announces the latest sentence at once, so the last word is current.
 */
export class AnnouncementPacer {
  private lastText: string | null = null;
  private lastAt = -Infinity;

  constructor(private readonly intervalMs = 5000) {}

  /** The text to put into the live region now, or null to leave it as it is. */
  offer(text: string, now: number, final = false): string | null {
    if (text === this.lastText) return null;
    if (!final && now - this.lastAt < this.intervalMs) return null;
    this.lastText = text;
    this.lastAt = now;
    return text;
  }

  /** After a reset: the next sentence is announced whatever it is. */
  clear(): void {
    this.lastText = null;
    this.lastAt = -Infinity;
  }
}
