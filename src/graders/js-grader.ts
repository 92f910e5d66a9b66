/**
 * Custom JavaScript graders: `{ "type": "js", "source": "function grade(sample, item) {...}" }`.
 *
 * The user's code runs in a pool of sandboxes (Web Workers in the browser,
 * worker_threads in Node), one call per chunk of the batch. Anything that goes
 * wrong with one sample (a throw, NaN, a string) scores that sample 0 and is
 * counted; anything that stops the batch (a timeout, running out of memory, a
 * crash, code that does not load) fails every sample with one message, which
 * makes the lane pause with it. The worker involved is thrown away and a fresh
 * one starts on the next batch, so the page and the trainer keep running.
 */
import type { TaskItem } from '../engine/task.ts';
import { checkSource, formatProblem } from './check-source.ts';
import type { SpecReader } from './spec.ts';
import { GraderConfigError, type Grader, type GradeResult, type Sample } from './types.ts';
import type { BatchPayload, ChunkResult, SandboxHost, SandboxPlatform } from './sandbox/protocol.ts';
import { checkLengths } from './templates/per-sample.ts';

export const JS_DEFAULT_TIMEOUT_MS = 2000;
export const JS_DEFAULT_MEMORY_MB = 256;
/** Below this many samples per worker, starting and feeding another worker costs more than it saves. */
export const MIN_CHUNK = 1024;
/** A worker that has not answered a ping by then is broken, not slow. */
const STARTUP_MS = 20_000;

export interface JsGraderOptions {
  timeoutMs: number;
  memoryMb: number;
  /** Upper bound on workers; the pool also stops at the platform's core count. */
  maxWorkers: number;
}

function inNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof window === 'undefined';
}

let platformPromise: Promise<SandboxPlatform> | null = null;

/** Node or browser sandboxes, picked at run time so neither bundle drags in the other's code. */
export function sandboxPlatform(): Promise<SandboxPlatform> {
  platformPromise ??= inNode()
    ? // A computed specifier keeps Vite from bundling node:worker_threads into the page.
      import(/* @vite-ignore */ ['.', 'sandbox', 'node-host.ts'].join('/')).then((m: { nodePlatform: SandboxPlatform }) => m.nodePlatform)
    : import('./sandbox/browser-host.ts').then((m) => m.browserPlatform);
  return platformPromise;
}

type Fatal = { fatal: string };
type ChunkOutcome = ChunkResult | Fatal;

function excerpt(text: string | undefined): string {
  if (text === undefined) return '';
  const shown = text.length > 30 ? `${text.slice(0, 27)}...` : text;
  return ` (output_text ${JSON.stringify(shown)})`;
}

function timer(ms: number): { done: Promise<'timeout'>; cancel(): void } {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise<'timeout'>((resolve) => (handle = setTimeout(() => resolve('timeout'), ms)));
  return { done, cancel: () => clearTimeout(handle) };
}

/** A loaded sandbox, or why it could not be loaded. */
type Slot = { host: SandboxHost } | Fatal;

export class JsGrader implements Grader {
  readonly name: string;
  private readonly slots: (Promise<Slot> | null)[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly source: string,
    readonly options: JsGraderOptions,
    name?: string,
    /** Where the source sits in the config, for load errors ("grader.graders.mine.source"). */
    private readonly sourcePath = 'grader.source',
  ) {
    this.name = name ?? 'custom JS grader';
  }

  grade(samples: readonly Sample[], items: readonly TaskItem[]): Promise<GradeResult> {
    checkLengths(samples, items);
    // One batch at a time per grader: its workers are shared.
    const run = this.queue.then(() => this.gradeNow(samples, items));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Sandboxes started (or starting) right now; the pool grows with batch size up to the core count. */
  get workerCount(): number {
    return this.slots.filter(Boolean).length;
  }

  async prepare(): Promise<void> {
    const slot = await this.slot(0);
    if ('fatal' in slot) throw new GraderConfigError(`${this.sourcePath}: ${slot.fatal}`, this.sourcePath);
  }

  dispose(): void {
    const slots = this.slots.splice(0);
    for (const s of slots) void s?.then((x) => 'host' in x && x.host.terminate());
  }

  private async gradeNow(samples: readonly Sample[], items: readonly TaskItem[]): Promise<GradeResult> {
    const N = samples.length;
    const scores = new Float64Array(N);
    const failed = new Uint8Array(N);
    if (N === 0) return { scores, errors: 0, firstError: null, failed };
    const platform = await sandboxPlatform();
    const workers = Math.max(1, Math.min(this.options.maxWorkers, platform.cores, Math.ceil(N / MIN_CHUNK)));
    const size = Math.ceil(N / workers);
    const starts = Array.from({ length: workers }, (_, k) => k * size).filter((a) => a < N);
    const outcomes = await Promise.all(starts.map((a, k) => this.gradeChunk(k, samples, items, a, Math.min(N, a + size))));

    const fatal = outcomes.find((o): o is Fatal => 'fatal' in o);
    if (fatal) {
      // The batch ran out of time (or its worker died): no score from it can be trusted to be complete.
      failed.fill(1);
      return { scores, errors: N, firstError: fatal.fatal, failed };
    }
    let errors = 0;
    let firstError: string | null = null;
    outcomes.forEach((o, k) => {
      const r = o as ChunkResult;
      const a = starts[k];
      for (let i = 0; i < r.scores.length; i++) scores[a + i] = r.scores[i];
      for (const i of r.failed) failed[a + i] = 1;
      errors += r.failed.length;
      firstError ??= r.firstError;
    });
    return { scores, errors, firstError, failed };
  }

  /** Slot k's sandbox, started and loaded on first use. */
  private slot(k: number): Promise<Slot> {
    let s = this.slots[k];
    if (!s) {
      s = this.startSlot();
      this.slots[k] = s;
      // A sandbox that could not load is not kept: the next batch tries a fresh one.
      void s.then((x) => {
        if ('fatal' in x && this.slots[k] === s) this.slots[k] = null;
      });
    }
    return s;
  }

  private async startSlot(): Promise<Slot> {
    const platform = await sandboxPlatform();
    const host = platform.spawn({ memoryMb: this.options.memoryMb });
    const fail = (message: string): Fatal => {
      host.terminate();
      return { fatal: message };
    };
    const startup = timer(STARTUP_MS);
    const pinged = await Promise.race([host.api.ping(), host.died, startup.done]);
    startup.cancel();
    if (pinged === 'timeout') return fail(`the grader worker did not start within ${STARTUP_MS / 1000} s`);
    if (pinged !== true) return fail(`the grader worker could not start: it ${pinged.message}`);

    const limit = timer(this.options.timeoutMs);
    const loaded = await Promise.race([host.load(this.source).catch((e: Error) => ({ ok: false as const, message: e.message })), host.died, limit.done]);
    limit.cancel();
    if (loaded === 'timeout') return fail(`grader timed out while loading (its top-level code ran longer than ${this.options.timeoutMs} ms)`);
    if ('reason' in loaded) return fail(`grader ${loaded.message} while loading`);
    if (!loaded.ok) return fail(loaded.message);
    return { host };
  }

  private async gradeChunk(k: number, samples: readonly Sample[], items: readonly TaskItem[], a: number, b: number): Promise<ChunkOutcome> {
    const slot = await this.slot(k);
    if ('fatal' in slot) return slot;
    const { host } = slot;
    let json: string;
    try {
      json = JSON.stringify(payload(samples, items, a, b));
    } catch (e) {
      return { fatal: `the task's items cannot be sent to the grader: ${(e as Error).message}` };
    }
    host.resetProgress();
    const limit = timer(this.options.timeoutMs);
    const outcome = await Promise.race([
      host.api.grade(json).then(
        (text) => JSON.parse(text) as ChunkResult,
        (e: Error) => ({ fatal: `grader sandbox error: ${e.message}` }),
      ),
      host.died,
      limit.done,
    ]);
    limit.cancel();
    if (outcome !== 'timeout' && !('reason' in outcome)) return outcome;

    // Timed out or died: the sample it was on is the culprit; this worker is done for.
    const { index, exact } = host.progress();
    host.terminate();
    this.slots[k] = null;
    const at = a + Math.max(0, index);
    // Named exactly when the sandbox said so, or when no later sample is left to blame.
    const sampleText = (index >= 0 && exact) || at === b - 1 ? `sample ${at}${excerpt(samples[at]?.output_text)}` : `sample ${at} or a later one (up to ${b - 1})`;
    const restarted = 'its worker was stopped and a new one will start on the next batch';
    if (outcome === 'timeout') return { fatal: `grader timed out on ${sampleText}: time limit ${this.options.timeoutMs} ms per batch; ${restarted}` };
    return { fatal: `grader ${outcome.message} on ${sampleText}; ${restarted}` };
  }
}

/** The chunk [a, b) as the sandbox wants it, each distinct item sent once. */
function payload(samples: readonly Sample[], items: readonly TaskItem[], a: number, b: number): BatchPayload {
  const index = new Map<TaskItem, number>();
  const distinct: TaskItem[] = [];
  const itemOf = new Array<number>(b - a);
  const texts = new Array<string>(b - a);
  for (let i = a; i < b; i++) {
    let j = index.get(items[i]);
    if (j === undefined) {
      j = distinct.length;
      distinct.push(items[i]);
      index.set(items[i], j);
    }
    itemOf[i - a] = j;
    texts[i - a] = samples[i].output_text ?? '';
  }
  return { texts, items: distinct, itemOf, offset: a };
}

/** `{ type: "js", source, timeout_ms?, memory_mb?, workers? }` → a JsGrader; syntax errors are caught here, before training. */
export function jsGrader(r: SpecReader): JsGrader {
  r.onlyFields(['source', 'timeout_ms', 'memory_mb', 'workers']);
  if (typeof r.spec.source !== 'string') r.fail('source', r.spec.source, 'must be the grader\'s JavaScript source, e.g. "function grade(sample, item) { return 1; }"');
  const source = r.spec.source as string;
  const problems = checkSource(source);
  if (problems.length > 0) throw new GraderConfigError(`${r.fieldPath('source')}: ${formatProblem(problems[0])}`, r.fieldPath('source'));
  const options: JsGraderOptions = {
    timeoutMs: r.number('timeout_ms', JS_DEFAULT_TIMEOUT_MS, { min: 10, max: 600_000 }),
    memoryMb: r.number('memory_mb', JS_DEFAULT_MEMORY_MB, { min: 16, max: 8192, integer: true }),
    maxWorkers: r.number('workers', 64, { min: 1, max: 256, integer: true }),
  };
  return new JsGrader(source, options, r.optionalString('name'), r.fieldPath('source'));
}

