/**
 * Every grader runs in a grading worker, with a time limit: custom JavaScript
 * inside a QuickJS VM there, templates as plain code there (their patterns and
 * strings are the user's, and a regular expression can backtrack for ever).
 * The thread that trains only waits, with a timer, so a grader that runs too
 * long stops its step with a message and never freezes the page or the CLI.
 *
 * Anything that goes wrong with one sample (a throw, NaN, a string) scores that
 * sample 0 and is counted; anything that stops the batch (a time-out, running
 * out of memory, a crash, code that does not load, a malformed answer from the
 * worker) fails every sample with one message, which makes the lane pause. The
 * worker involved is thrown away and a fresh one starts on the next batch.
 *
 * Nothing that comes back is trusted: each chunk's answer is checked for shape,
 * one finite number per sample within ±SCORE_LIMIT, and capped message text.
 */
import type { GraderSpec, TaskItem } from '../engine/task.ts';
import { GraderConfigError, type Grader, type GradeResult, type Sample } from './types.ts';
import { MESSAGE_CAP } from './sandbox/protocol.ts';
import { toPayload, type SandboxHost, type SandboxPlatform } from './sandbox/protocol.ts';
import { checkLengths } from './templates/per-sample.ts';

/** Scores beyond this are refused as grader errors: no reward scale here needs more, and it keeps advantages finite. */
export const SCORE_LIMIT = 1e6;
/** Below this many samples per worker, starting and feeding another worker costs more than it saves. */
export const MIN_CHUNK = 1024;
/** A worker that has not answered a ping by then is broken, not slow. */
const STARTUP_MS = 20_000;
/** How long past its own deadline a VM may take to stop by itself before its worker is terminated. */
const VM_GRACE_MS = 500;

export interface SandboxLimits {
  /** Per batch (custom JS: per chunk, all chunks running at once). */
  timeoutMs: number;
  memoryMb: number;
  maxWorkers: number;
  /** Split large batches over several workers (custom JS only: template messages count samples per batch). */
  chunked: boolean;
  /** Custom JS anywhere in the spec: the worker needs its QuickJS engine. */
  needsVm: boolean;
}

function inNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof window === 'undefined';
}

let platformPromise: Promise<SandboxPlatform> | null = null;

/** Node or browser grading workers, picked at run time so neither bundle drags in the other's code. */
export function sandboxPlatform(): Promise<SandboxPlatform> {
  platformPromise ??= inNode()
    ? // A computed specifier keeps Vite from bundling node:worker_threads into the page.
      import(/* @vite-ignore */ ['.', 'sandbox', 'node-host.ts'].join('/')).then((m: { nodePlatform: SandboxPlatform }) => m.nodePlatform)
    : import('./sandbox/browser-host.ts').then((m) => m.browserPlatform);
  return platformPromise;
}

type Fatal = { fatal: string; path?: string; cancelled?: boolean };

/** A promise that resolves when cancel() is called; a fresh one serves the next batch. */
function cancelSignal(): { promise: Promise<'cancelled'>; fire(): void } {
  let fire!: () => void;
  const promise = new Promise<'cancelled'>((resolve) => (fire = () => resolve('cancelled')));
  return { promise, fire };
}

const CANCELLED: Fatal = { fatal: 'grading was stopped (Pause or Reset)', cancelled: true };
type Chunk = { scores: Float64Array; failed: number[]; errors: number; firstError: string | null; subScores?: Record<string, Float64Array> };

export function capText(text: string, cap = MESSAGE_CAP): string {
  return text.length > cap ? `${text.slice(0, cap - 3)}...` : text;
}

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

const isIndexList = (v: unknown, n: number): v is number[] =>
  Array.isArray(v) && v.every((i, k) => Number.isInteger(i) && i >= 0 && i < n && (k === 0 || i > v[k - 1]));

/**
 * A worker's answer for a chunk of `n` samples starting at `offset`, checked
 * field by field. A score that is not a finite number within ±SCORE_LIMIT is a
 * grader error on that sample, never a number the run trains on.
 */
export function readChunk(text: unknown, n: number, offset: number): Chunk | Fatal {
  const bad = (why: string): Fatal => ({ fatal: `the grader sandbox returned a malformed result (${why})` });
  if (typeof text !== 'string') return bad('not text');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('not an object');
  const r = value as Record<string, unknown>;
  if (typeof r.fatal === 'string') return { fatal: capText(r.fatal) };
  if (!Array.isArray(r.scores) || r.scores.length !== n) return bad(`expected ${n} scores`);
  if (!isIndexList(r.failed, n)) return bad('failed is not a list of sample indices');
  if (r.firstError !== null && typeof r.firstError !== 'string') return bad('firstError is not text');
  const failed = new Set<number>(r.failed);
  let firstError = r.firstError === null ? null : capText(r.firstError);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = r.scores[i];
    if (failed.has(i)) continue;
    if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= SCORE_LIMIT) {
      scores[i] = v;
    } else {
      failed.add(i);
      const shown = typeof v === 'number' ? String(v) : capText(JSON.stringify(v) ?? String(v), 40);
      firstError ??= `grader score ${shown} on sample ${offset + i} is not a finite number within ±${SCORE_LIMIT.toExponential(0)}`;
    }
  }
  let subScores: Record<string, Float64Array> | undefined;
  if (r.subScores !== undefined) {
    if (r.subScores === null || typeof r.subScores !== 'object' || Array.isArray(r.subScores)) return bad('subScores is not an object');
    subScores = {};
    for (const [name, list] of Object.entries(r.subScores as Record<string, unknown>)) {
      if (!Array.isArray(list) || list.length !== n) return bad(`subScores.${capText(name, 40)} needs ${n} numbers`);
      subScores[capText(name, 80)] = Float64Array.from(list, (x) => (typeof x === 'number' && Number.isFinite(x) ? x : 0));
    }
  }
  const reported = Number.isInteger(r.errors) && (r.errors as number) >= 0 && (r.errors as number) <= n ? (r.errors as number) : 0;
  return { scores, failed: [...failed].sort((a, b) => a - b), errors: Math.max(reported, failed.size), firstError, subScores };
}

/** A loaded worker, or why it could not be loaded. */
type Slot = { host: SandboxHost } | Fatal;

export class SandboxedGrader implements Grader {
  private readonly slots: (Promise<Slot> | null)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private stop = cancelSignal();

  constructor(
    readonly spec: GraderSpec,
    readonly name: string,
    readonly limits: SandboxLimits,
    /** Where the spec sits in the config ("grader", "eval_graders.mine"). */
    private readonly specPath = 'grader',
    /** Where load errors point when the worker does not say ("grader.source"). */
    private readonly loadPath = specPath,
  ) {}

  grade(samples: readonly Sample[], items: readonly TaskItem[]): Promise<GradeResult> {
    checkLengths(samples, items);
    // One batch at a time per grader: its workers are shared.
    const run = this.queue.then(() => this.gradeNow(samples, items));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Workers started (or starting) right now; the pool grows with batch size up to the core count. */
  get workerCount(): number {
    return this.slots.filter(Boolean).length;
  }

  async prepare(): Promise<void> {
    const slot = await this.slot(0);
    if ('fatal' in slot) {
      const path = slot.path ?? this.loadPath;
      throw new GraderConfigError(`${path}: ${slot.fatal}`, path);
    }
  }

  cancel(): void {
    const stop = this.stop;
    this.stop = cancelSignal();
    // First the answer (the waiting batch settles as cancelled), then the workers go: a busy one cannot be interrupted otherwise.
    stop.fire();
    this.dispose();
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
    const workers = this.limits.chunked ? Math.max(1, Math.min(this.limits.maxWorkers, platform.cores, Math.ceil(N / MIN_CHUNK))) : 1;
    const size = Math.ceil(N / workers);
    const starts = Array.from({ length: workers }, (_, k) => k * size).filter((a) => a < N);
    const outcomes = await Promise.all(starts.map((a, k) => this.gradeChunk(k, samples, items, a, Math.min(N, a + size))));

    const fatal = outcomes.find((o): o is Fatal => 'fatal' in o && o.cancelled === true) ?? outcomes.find((o): o is Fatal => 'fatal' in o);
    if (fatal?.cancelled) {
      failed.fill(1);
      return { scores, errors: N, firstError: fatal.fatal, failed, cancelled: true };
    }
    if (fatal) {
      // The batch ran out of time (or its worker died): no score from it can be trusted to be complete.
      failed.fill(1);
      return { scores, errors: N, firstError: fatal.fatal, failed };
    }
    let errors = 0;
    let firstError: string | null = null;
    let subScores: Record<string, Float64Array> | undefined;
    outcomes.forEach((o, k) => {
      const r = o as Chunk;
      const a = starts[k];
      scores.set(r.scores, a);
      for (const i of r.failed) failed[a + i] = 1;
      errors += r.errors;
      firstError ??= r.firstError;
      if (r.subScores) subScores = r.subScores;
    });
    return { scores, errors, firstError, failed, subScores };
  }

  /** Slot k's worker, started and loaded on first use. */
  private slot(k: number): Promise<Slot> {
    let s = this.slots[k];
    if (!s) {
      s = this.startSlot();
      this.slots[k] = s;
      // A worker that could not load is not kept: the next batch tries a fresh one.
      void s.then((x) => {
        if ('fatal' in x && this.slots[k] === s) this.slots[k] = null;
      });
    }
    return s;
  }

  private async startSlot(): Promise<Slot> {
    const platform = await sandboxPlatform();
    const host = platform.spawn({ memoryMb: this.limits.memoryMb });
    const fail = (message: string, path?: string): Fatal => {
      host.terminate();
      return { fatal: capText(message), path };
    };
    const stop = this.stop.promise;
    const startup = timer(STARTUP_MS);
    const pinged = await Promise.race([host.api.ping(), host.died, startup.done, stop]);
    startup.cancel();
    if (pinged === 'cancelled') {
      host.terminate();
      return CANCELLED;
    }
    if (pinged === 'timeout') return fail(`the grader worker did not start within ${STARTUP_MS / 1000} s`);
    if (pinged !== true) return fail(`the grader worker could not start: it ${pinged.message}`);

    const wasm = this.limits.needsVm ? await platform.vmModule() : undefined;
    const limit = timer(this.limits.timeoutMs + VM_GRACE_MS + (this.limits.needsVm ? STARTUP_MS : 0));
    const loaded = await Promise.race([
      host.api.load({ spec: this.spec, path: this.specPath, needsVm: this.limits.needsVm, wasm }).catch((e: Error) => ({ ok: false as const, message: `the grader sandbox failed to load: ${e.message}` })),
      host.died,
      limit.done,
      stop,
    ]);
    limit.cancel();
    if (loaded === 'cancelled') {
      host.terminate();
      return CANCELLED;
    }
    if (loaded === 'timeout') return fail(`grader timed out while loading (its top-level code ran longer than ${this.limits.timeoutMs} ms)`);
    if ('reason' in loaded) return fail(`grader ${loaded.message} while loading`);
    if (!loaded.ok) {
      const path = 'path' in loaded ? loaded.path : undefined;
      // The worker's message may start with the path already; it is shown once.
      return fail(path && loaded.message.startsWith(`${path}: `) ? loaded.message.slice(path.length + 2) : loaded.message, path);
    }
    return { host };
  }

  private async gradeChunk(k: number, samples: readonly Sample[], items: readonly TaskItem[], a: number, b: number): Promise<Chunk | Fatal> {
    const stop = this.stop.promise;
    const slot = await this.slot(k);
    if ('fatal' in slot) return slot;
    const { host } = slot;
    let json: string;
    try {
      json = JSON.stringify(toPayload(samples.slice(a, b), items.slice(a, b), a));
    } catch (e) {
      return { fatal: `the task's items cannot be sent to the grader: ${capText((e as Error).message)}` };
    }
    // A VM stops itself at the deadline and names its sample; the host's timer is the backstop.
    const limit = timer(this.limits.timeoutMs + (this.limits.needsVm ? VM_GRACE_MS : 0));
    const outcome = await Promise.race([
      host.api.grade(json, b - a).then(
        (text) => readChunk(text, b - a, a),
        (e: Error) => ({ fatal: `grader sandbox error: ${capText(String(e?.message))}` }),
      ),
      host.died,
      limit.done,
      stop,
    ]);
    limit.cancel();
    if (outcome === 'cancelled') return CANCELLED;
    const restarted = 'its worker was stopped and a new one will start on the next batch';
    if (outcome !== 'timeout' && !('reason' in outcome)) {
      if ('fatal' in outcome) {
        this.discard(k, host);
        return { fatal: `${relabel(outcome.fatal, a, samples, this.limits.timeoutMs)}; ${restarted}` };
      }
      return outcome;
    }
    // Timed out or died without a word: the culprit is somewhere in the chunk; this worker is done for.
    this.discard(k, host);
    const sampleText = b - a === 1 ? `sample ${a}${excerpt(samples[a]?.output_text)}` : `sample ${a} or a later one (up to ${b - 1})`;
    if (outcome === 'timeout') return { fatal: `grader timed out on ${sampleText}: time limit ${this.limits.timeoutMs} ms per batch; ${restarted}` };
    return { fatal: `grader ${outcome.message} on ${sampleText}; ${restarted}` };
  }

  private discard(k: number, host: SandboxHost): void {
    host.terminate();
    this.slots[k] = null;
  }
}

/**
 * A VM's own "timed out on sample 3" counts in its chunk; the message names the
 * sample in the whole batch, with its text, and the limit.
 */
function relabel(message: string, offset: number, samples: readonly Sample[], timeoutMs: number): string {
  return message.replace(/^(grader (timed out|ran out of memory \(limit \d+ MB\)) on sample )(-?\d+)$/, (_m, head: string, what: string, local: string) => {
    const i = Number(local);
    const limit = what === 'timed out' ? `: time limit ${timeoutMs} ms per batch` : '';
    if (i < 0) return `grader ${what} while grading${limit}`;
    return `${head}${offset + i}${excerpt(samples[offset + i]?.output_text)}${limit}`;
  });
}
