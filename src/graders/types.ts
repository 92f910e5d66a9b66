/**
 * One grader interface for every kind of grader: batched and asynchronous,
 * mirroring OpenAI's `grade(sample, item)`. `samples[i]` is scored against `items[i]`.
 */
import type { TaskItem } from '../engine/task.ts';

export interface Sample {
  output_text: string;
}

export interface GradeResult {
  /** One score per sample; an errored sample scores 0. */
  scores: Float64Array;
  /** Samples whose grading failed (threw, returned a non-number, timed out). */
  errors: number;
  /** The first error, for display ("grader returned NaN on sample 3"). */
  firstError: string | null;
  /** 1 where grading that sample failed (optional: lets composite graders zero exactly those samples). */
  failed?: Uint8Array;
  /** Per-criterion scores of composite graders (multi), by name. */
  subScores?: Record<string, Float64Array>;
  /** The batch was stopped on request (Pause, Reset) before it finished: no score in it means anything. */
  cancelled?: boolean;
}

export interface Grader {
  /** Short human name, e.g. "string_check (eq)". */
  readonly name: string;
  grade(samples: readonly Sample[], items: readonly TaskItem[]): Promise<GradeResult>;
  /**
   * Starts workers and loads user code ahead of the first batch; rejects with a
   * GraderConfigError when the code cannot load (top-level error, no grade function).
   */
  prepare?(): Promise<void>;
  /**
   * Stops the batch being graded now, if any, so Pause and Reset never wait for a slow grader: its
   * grade() resolves with `cancelled`, its workers are replaced, and the next batch grades as usual.
   */
  cancel?(): void;
  /** Releases workers, if any. */
  dispose?(): void;
}

/** A bad grader configuration or source; `path` names the field (e.g. "grader.operation"). */
export class GraderConfigError extends Error {
  constructor(
    message: string,
    readonly path = 'grader',
  ) {
    // A message may quote the user's value (a 500,000-character pattern): one readable line, not a page.
    super(message.length > 1000 ? `${message.slice(0, 997)}...` : message);
    this.name = 'GraderConfigError';
  }
}
