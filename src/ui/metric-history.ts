/**
 * Every step record of every lane, kept outside Svelte's reactivity (tens of
 * thousands of numbers) and turned into chart points incrementally: a series
 * asked for once is then extended in place as batches arrive, so a redraw
 * costs the new points, not the whole history.
 */
import type { LaneId, LaneRecord } from '../worker/protocol.ts';

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

export class MetricHistory {
  private readonly records: Record<LaneId, LaneRecord[]> = { rft: [], dpo: [], sft: [] };
  /** Cached series by "lane|metric|budget", with how many records each has consumed. */
  private readonly series = new Map<string, { points: Point[]; consumed: number }>();

  append(batch: Partial<Record<LaneId, LaneRecord[]>>): void {
    for (const lane of Object.keys(batch) as LaneId[]) {
      const list = batch[lane];
      if (list) for (const r of list) this.records[lane].push(r);
    }
  }

  clear(): void {
    for (const lane of Object.keys(this.records) as LaneId[]) this.records[lane] = [];
    this.series.clear();
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

  /** Plain copy of all records (for tests and export). */
  toJSON(): Record<LaneId, LaneRecord[]> {
    return { rft: this.records.rft.slice(), dpo: this.records.dpo.slice(), sft: this.records.sft.slice() };
  }
}
