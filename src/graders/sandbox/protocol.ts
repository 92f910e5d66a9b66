/**
 * The one interface every grader sandbox exposes over comlink, whether it is a
 * Web Worker (browser) or a worker_threads Worker (Node). Batches cross as JSON
 * strings: one structured-clone of a string is cheap, and in Node the string is
 * what the vm context must receive anyway (see runner-source.ts).
 */
import type { Remote } from 'comlink';

export type LoadOutcome = { ok: true } | { ok: false; message: string };

/**
 * Where the worker reports the sample it is about to grade, so a timeout can name it:
 * shared memory when the page may use it (Node always; browsers only when cross-origin
 * isolated), else a message port the worker posts to now and then.
 */
export type ProgressChannel = SharedArrayBuffer | MessagePort | null;

export interface SandboxApi {
  /** Answers once the worker has started, so start-up time is not charged to the grader's time limit. */
  ping(): true;
  /** Runs the user's source (top-level code included) and finds `grade`. */
  load(source: string, progress: ProgressChannel): LoadOutcome;
  /** Grades one chunk: JSON of BatchPayload in, JSON of ChunkResult out. */
  grade(batchJson: string): string;
}

export interface BatchPayload {
  texts: string[];
  /** Distinct items of the chunk; a batch of G generations per prompt shares each item G times. */
  items: unknown[];
  itemOf: number[];
  /** Index of the chunk's first sample in the whole batch, for messages. */
  offset: number;
}

export interface ChunkResult {
  scores: number[];
  /** Chunk-local indices of samples whose grading failed. */
  failed: number[];
  firstError: string | null;
}

/** A running sandbox as the pool sees it. */
export interface SandboxHost {
  api: Remote<SandboxApi>;
  /** api.load with this host's progress channel (shared memory, or a port handed over once). */
  load(source: string): Promise<LoadOutcome>;
  /** The chunk-local sample index last reported; `exact` is false when reports are throttled. */
  progress(): { index: number; exact: boolean };
  /** Forgets the last report, before a new chunk starts. */
  resetProgress(): void;
  /** Resolves with a reason when the worker dies on its own (out of memory, crash). */
  died: Promise<{ reason: 'memory' | 'crash'; message: string }>;
  terminate(): void;
}

export interface SpawnOptions {
  /** Heap limit for the sandbox (Node only; browsers offer no such control). */
  memoryMb: number;
}

export type SpawnSandbox = (options: SpawnOptions) => SandboxHost;

/** What a platform (Node or browser) provides to the pool. */
export interface SandboxPlatform {
  spawn: SpawnSandbox;
  /** Cores the pool may use: os.availableParallelism() or navigator.hardwareConcurrency. */
  cores: number;
}
