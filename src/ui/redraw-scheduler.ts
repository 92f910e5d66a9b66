/**
 * Spreads chart redraws over animation frames. A chart.js update costs a few
 * milliseconds (more with software rendering); redrawing all eight charts in
 * the frame a batch arrives would make one long task. Instead each frame
 * redraws dirty charts, oldest first, until its time budget is spent (at
 * least one per frame, so every chart keeps up), and a chart is redrawn at
 * most every `minIntervalMs`: ten redraws a second look live, and leave
 * the frame time to the rest of the page.
 */
export interface RedrawTarget {
  redraw(): void;
}

export class RedrawScheduler {
  private readonly dirty = new Set<RedrawTarget>();
  private readonly lastDrawn = new Map<RedrawTarget, number>();
  private scheduled = false;

  constructor(
    private readonly budgetMs = 8,
    private readonly minIntervalMs = 100,
    private readonly requestFrame: (cb: () => void) => void = (cb) => requestAnimationFrame(() => cb()),
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Asks for a redraw of `target` in an upcoming frame (several requests before it happens count once). */
  request(target: RedrawTarget): void {
    this.dirty.add(target);
    if (!this.scheduled) {
      this.scheduled = true;
      this.requestFrame(() => this.frame());
    }
  }

  forget(target: RedrawTarget): void {
    this.dirty.delete(target);
    this.lastDrawn.delete(target);
  }

  get pending(): number {
    return this.dirty.size;
  }

  private frame(): void {
    this.scheduled = false;
    const start = this.now();
    for (const target of this.dirty) {
      // Not due yet: it stays dirty and is drawn in a later frame.
      if (start - (this.lastDrawn.get(target) ?? -Infinity) < this.minIntervalMs) continue;
      this.dirty.delete(target);
      this.lastDrawn.set(target, start);
      target.redraw();
      if (this.now() - start >= this.budgetMs) break;
    }
    if (this.dirty.size > 0) {
      this.scheduled = true;
      this.requestFrame(() => this.frame());
    }
  }
}

/**
 * Dispatched on a chart's `<figure>` to redraw it at once, visible or not
 * (an export needs every chart up to date; off-screen charts skip redraws).
 */
export const CHART_REFRESH = 'chart-refresh';

/** The page's one scheduler. */
export const chartRedraws = new RedrawScheduler();
