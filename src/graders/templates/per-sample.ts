/**
 * Built-in templates score one sample at a time on the calling thread: they are
 * a few string operations each, far cheaper than a trip to a worker.
 */
import type { TaskItem } from '../../engine/task.ts';
import type { Grader, GradeResult, Sample } from '../types.ts';

/** Thrown by a scoring function when a sample cannot be graded (bad data, not a bad answer). */
export class SampleError extends Error {}

export type ScoreFn = (sample: Sample, item: TaskItem) => number;

/**
 * A Grader from a per-sample scoring function. A SampleError or a non-finite
 * score counts as a grader error that scores 0; the first message is kept.
 */
export function perSampleGrader(name: string, score: ScoreFn): Grader {
  return {
    name,
    async grade(samples: readonly Sample[], items: readonly TaskItem[]): Promise<GradeResult> {
      return scoreAll(samples, items, score);
    },
  };
}

export function scoreAll(samples: readonly Sample[], items: readonly TaskItem[], score: ScoreFn): GradeResult {
  checkLengths(samples, items);
  const scores = new Float64Array(samples.length);
  const failed = new Uint8Array(samples.length);
  let errors = 0;
  let firstError: string | null = null;
  for (let i = 0; i < samples.length; i++) {
    let s: number;
    try {
      s = score(samples[i], items[i]);
      if (!Number.isFinite(s)) throw new SampleError(`score is ${s}`);
    } catch (e) {
      if (!(e instanceof SampleError)) throw e;
      errors++;
      failed[i] = 1;
      firstError ??= `${e.message} on sample ${i}`;
      s = 0;
    }
    scores[i] = s;
  }
  return { scores, errors, firstError, failed };
}

export function checkLengths(samples: readonly Sample[], items: readonly TaskItem[]): void {
  if (samples.length !== items.length) {
    throw new Error(`grade(): got ${samples.length} samples but ${items.length} items; samples[i] is graded against items[i]`);
  }
}
