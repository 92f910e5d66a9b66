/**
 * Every step record of every lane, kept outside Svelte's reactivity (tens of
 * thousands of numbers) and turned into chart points incrementally: a series
 * asked for once is then extended in place as batches arrive, so a redraw
 * costs the new points, not the whole history.
 */
import type { LaneId, LaneRecord } from '../worker/protocol.ts';
import type { Ghost } from './ghosts.ts';

/** What the x axis counts (the comparison budget). */
export type Budget = 'steps' | 'samples' | 'labelled';

export const BUDGET_FIELD: Record<Budget, keyof LaneRecord & string> = {
  steps: 'step',
  samples: 'samples_drawn',
  labelled: 'labelled_examples',
};

export interface Point {
  x: number;
  y: number;
}

/**
 * TensorBoard's smoothing: an exponential moving average with weight `weight` (0 = none, 0.99 = heavy),
 * debiased by 1 − weight^n so the first points are not pulled towards 0.
 */
export function emaSmooth(points: readonly Point[], weight: number): Point[] {
  const ema = new Ema(weight);
  return points.map((p) => ({ x: p.x, y: ema.next(p.y) }));
}

class Ema {
  private last = 0;
  private count = 0;
  constructor(private readonly weight: number) {}
  next(y: number): number {
    this.last = this.last * this.weight + (1 - this.weight) * y;
    this.count++;
    return this.last / (1 - this.weight ** this.count);
  }
}

/** Ghost series by their records array (shared by every copy of a ghost), then "metric|budget[|weight]". */
const ghostCache = new WeakMap<readonly LaneRecord[], Map<string, Point[]>>();

/** Points of one metric over records: non-finite and missing values skipped, as for the live lanes. */
export function pointsOf(records: readonly LaneRecord[], metric: string, budget: Budget): Point[] {
  const xField = BUDGET_FIELD[budget];
  const out: Point[] = [];
  for (const r of records) {
    const y = r[metric];
    if (typeof y === 'number' && Number.isFinite(y)) out.push({ x: r[xField], y });
  }
  return out;
}

/**
 * Points of finished records (a ghost's, a lesson run's kept after it was replaced), computed once per
 * records array, metric and budget, since such records never grow; smoothed when `weight` > 0.
 */
export function recordPoints(records: readonly LaneRecord[], metric: string, budget: Budget, weight = 0): Point[] {
  let byKey = ghostCache.get(records);
  if (!byKey) ghostCache.set(records, (byKey = new Map()));
  const key = `${metric}|${budget}`;
  let raw = byKey.get(key);
  if (!raw) byKey.set(key, (raw = pointsOf(records, metric, budget)));
  if (weight <= 0) return raw;
  const smoothKey = `${key}|${weight}`;
  let smooth = byKey.get(smoothKey);
  if (!smooth) {
    // One smoothed weight per series at a time (a slider drag would otherwise keep one per position).
    for (const k of byKey.keys()) if (k.startsWith(`${key}|`)) byKey.delete(k);
    byKey.set(smoothKey, (smooth = emaSmooth(raw, weight)));
  }
  return smooth;
}

export class MetricHistory {
  private readonly records: Record<LaneId, LaneRecord[]> = { rft: [], dpo: [], sft: [] };
  /** Cached series by "lane|metric|budget", with how many records each has consumed. */
  private readonly series = new Map<string, { points: Point[]; consumed: number }>();
  /** Smoothed series for one weight at a time (a slider drag would otherwise keep one per position). */
  private smoothedSeries = new Map<string, { points: Point[]; consumed: number; ema: Ema }>();
  private smoothWeight = 0;
  /**
   * Earlier runs drawn faintly on every chart (the page's list, set by the Playground). Kept here so every
   * chart that draws this history, the lane cards' too, draws them without being told.
   */
  ghosts: readonly Ghost[] = [];

  /** The ghosts the charts draw now (hidden ones stay listed but are not drawn). */
  visibleGhosts(): Ghost[] {
    return this.ghosts.filter((g) => !g.hidden);
  }

  append(batch: Partial<Record<LaneId, LaneRecord[]>>): void {
    for (const lane of Object.keys(batch) as LaneId[]) {
      const list = batch[lane];
      if (list) for (const r of list) this.records[lane].push(r);
    }
  }

  clear(): void {
    for (const lane of Object.keys(this.records) as LaneId[]) this.records[lane] = [];
    this.series.clear();
    this.smoothedSeries.clear();
  }

  of(lane: LaneId): readonly LaneRecord[] {
    return this.records[lane];
  }

  last(lane: LaneId): LaneRecord | undefined {
    const list = this.records[lane];
    return list[list.length - 1];
  }

  /**
   * Points (x = the budget spent, y = the metric) of one lane. Records
   * without the metric, or with a non-finite value, are skipped rather than
   * drawn as a break or a spike. The same array is returned and grown on later calls.
   */
  points(lane: LaneId, metric: string, budget: Budget): Point[] {
    const key = `${lane}|${metric}|${budget}`;
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { points: [], consumed: 0 }));
    const list = this.records[lane];
    const xField = BUDGET_FIELD[budget];
    for (let i = entry.consumed; i < list.length; i++) {
      const y = list[i][metric];
      if (typeof y === 'number' && Number.isFinite(y)) entry.points.push({ x: list[i][xField], y });
    }
    entry.consumed = list.length;
    return entry.points;
  }

  /** `points` smoothed by `emaSmooth` with `weight`, extended in place as records arrive. */
  smoothed(lane: LaneId, metric: string, budget: Budget, weight: number): Point[] {
    if (weight !== this.smoothWeight) {
      this.smoothedSeries.clear();
      this.smoothWeight = weight;
    }
    const raw = this.points(lane, metric, budget);
    const key = `${lane}|${metric}|${budget}`;
    let entry = this.smoothedSeries.get(key);
    if (!entry) this.smoothedSeries.set(key, (entry = { points: [], consumed: 0, ema: new Ema(weight) }));
    for (let i = entry.consumed; i < raw.length; i++) entry.points.push({ x: raw[i].x, y: entry.ema.next(raw[i].y) });
    entry.consumed = raw.length;
    return entry.points;
  }

  /** Where step `step` of `lane` falls on the budget's axis (undefined if the lane has no record of it). */
  xAt(lane: LaneId, step: number, budget: Budget): number | undefined {
    const list = this.records[lane];
    // Records are in step order, one per step from the lane's first: look near the end first.
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].step === step) return list[i][BUDGET_FIELD[budget]];
      if (list[i].step < step) return undefined;
    }
    return undefined;
  }

  /** A ghost's points for one lane and metric (computed once: a ghost never grows), smoothed when `weight` > 0. */
  ghostPoints(ghost: Ghost, lane: LaneId, metric: string, budget: Budget, weight = 0): Point[] {
    const records = ghost.records[lane];
    return records ? recordPoints(records, metric, budget, weight) : [];
  }

  /** Plain copy of all records (for tests and export). */
  toJSON(): Record<LaneId, LaneRecord[]> {
    return { rft: this.records.rft.slice(), dpo: this.records.dpo.slice(), sft: this.records.sft.slice() };
  }
}
