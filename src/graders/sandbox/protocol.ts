/**
 * The one interface every grading worker exposes over comlink, whether it is a
 * Web Worker (browser) or a worker_threads Worker (Node). Batches cross as JSON
 * strings: one structured clone of a string is cheap, and a string is what the
 * QuickJS VM must receive anyway (see quickjs-sandbox.ts).
 */
import type { Remote } from 'comlink';
import type { GraderSpec, TaskItem } from '../../engine/task.ts';
import type { Sample } from '../types.ts';

/** A failed load names the field at fault ("grader.graders.mine.source") when it knows it. */
export type LoadOutcome = { ok: true } | { ok: false; message: string; path?: string };

/** What a grading worker is asked to run: one grader spec, already checked by the host. */
export interface SandboxJob {
  spec: GraderSpec;
  /** Where the spec sits in the config, for messages ("grader", "eval_graders.fuzzy"). */
  path: string;
  /** True when custom JS occurs anywhere in the spec, so the worker must start a QuickJS engine. */
  needsVm: boolean;
  /** The QuickJS engine, compiled once by the host (browsers); Node workers load their own. */
  wasm?: WebAssembly.Module;
}

export interface SandboxApi {
  /** Answers once the worker has started, so start-up time is not charged to the grader's time limit. */
  ping(): true;
  /** Builds the grader (running custom JS top-level code in its VM). */
  load(job: SandboxJob): Promise<LoadOutcome>;
  /** Grades one chunk of `n` samples: JSON of BatchPayload in, JSON of ChunkResult (or `{ fatal }`) out. */
  grade(batchJson: string, n: number): Promise<string>;
}

export interface BatchPayload {
  texts: string[];
  /** Distinct items of the chunk; a batch of G generations per prompt shares each item G times. */
  items: unknown[];
  itemOf: number[];
  /** Index of the chunk's first sample in the whole batch, for messages. */
  offset: number;
}

/** Samples and items as the VM's runner reads them, each distinct item sent once. */
export function toPayload(samples: readonly Sample[], items: readonly TaskItem[], offset: number): BatchPayload {
  const index = new Map<TaskItem, number>();
  const distinct: TaskItem[] = [];
  const itemOf = new Array<number>(samples.length);
  const texts = new Array<string>(samples.length);
  for (let i = 0; i < samples.length; i++) {
    let j = index.get(items[i]);
    if (j === undefined) {
      j = distinct.length;
      distinct.push(items[i]);
      index.set(items[i], j);
    }
    itemOf[i] = j;
    texts[i] = samples[i].output_text ?? '';
  }
  return { texts, items: distinct, itemOf, offset };
}

/** A chunk's result as the worker sends it. The host validates every field before use. */
export interface ChunkResult {
  scores: number[];
  /** Chunk-local indices of samples whose grading failed. */
  failed: number[];
  firstError: string | null;
  /** Samples in error, when more than `failed` lists (a composite grader whose part failed without saying where). */
  errors?: number;
  /** Per-criterion scores of composite graders (multi), by name. */
  subScores?: Record<string, number[]>;
}

/** A running grading worker as the pool sees it. */
export interface SandboxHost {
  api: Remote<SandboxApi>;
  /** Resolves with a reason when the worker dies on its own (out of memory, crash). */
  died: Promise<{ reason: 'memory' | 'crash'; message: string }>;
  terminate(): void;
}

export interface SpawnOptions {
  /** Heap limit for the worker's own JavaScript (Node only); the VM has its own limit inside. */
  memoryMb: number;
}

/** What a platform (Node or browser) provides to the pool. */
export interface SandboxPlatform {
  spawn(options: SpawnOptions): SandboxHost;
  /** The QuickJS engine to hand to workers, compiled once (browsers); undefined where workers load their own. */
  vmModule(): Promise<WebAssembly.Module | undefined>;
  /** Cores the pool may use: os.availableParallelism() or navigator.hardwareConcurrency. */
  cores: number;
}

/**
 * Longest message text the runner lets out of the VM; the host caps again. Here, not beside the
 * runner's source, so the training worker (which caps too) does not bundle the runner's text.
 */
export const MESSAGE_CAP = 1000;
