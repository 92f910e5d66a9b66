/**
 * Collects step records in the worker and releases them at most every
 * `intervalMs` (default: 30 updates a second). The page then redraws once per
 * batch, whatever the training speed, and no record is dropped or reordered.
 */
export class MetricBatcher<K extends string, R> {
  private pending = new Map<K, R[]>();
  private lastFlush = -Infinity;
  private count = 0;

  constructor(
    readonly intervalMs = 1000 / 30,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(key: K, record: R): void {
    let list = this.pending.get(key);
    if (!list) this.pending.set(key, (list = []));
    list.push(record);
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** True when records wait and the last batch left at least `intervalMs` ago. */
  due(): boolean {
    return this.count > 0 && this.now() - this.lastFlush >= this.intervalMs;
  }

  /** Milliseconds until a flush may happen (0 when it may happen now). */
  waitMs(): number {
    return Math.max(0, this.lastFlush + this.intervalMs - this.now());
  }

  /** Takes everything pending and starts a new interval. */
  take(): Partial<Record<K, R[]>> {
    const out = Object.fromEntries(this.pending) as Partial<Record<K, R[]>>;
    this.pending = new Map();
    this.count = 0;
    this.lastFlush = this.now();
    return out;
  }
}

/**
 * Steps per second and samples per second over a sliding window, so the
 * numbers follow speed changes within a second or two.
 */
export class RateMeter {
  private readonly marks: { t: number; steps: number; samples: number }[] = [];

  constructor(
    private readonly windowMs = 2000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  record(steps: number, samples: number): void {
    const t = this.now();
    this.marks.push({ t, steps, samples });
    while (this.marks.length > 2 && t - this.marks[0].t > this.windowMs) this.marks.shift();
  }

  reset(): void {
    this.marks.length = 0;
  }

  rates(): { stepsPerSecond: number; samplesPerSecond: number } {
    if (this.marks.length < 2) return { stepsPerSecond: 0, samplesPerSecond: 0 };
    const first = this.marks[0];
    const dt = (this.now() - first.t) / 1000;
    if (dt <= 0) return { stepsPerSecond: 0, samplesPerSecond: 0 };
    let steps = 0;
    let samples = 0;
    // The first mark opens the window; only the work after it counts.
    for (let i = 1; i < this.marks.length; i++) {
      steps += this.marks[i].steps;
      samples += this.marks[i].samples;
    }
    return { stepsPerSecond: steps / dt, samplesPerSecond: samples / dt };
  }
}
