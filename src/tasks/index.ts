/** The built-in task library. */
import type { Task, TaskOptions } from '../engine/task.ts';
import { add } from './add.ts';
import { addContains } from './add-contains.ts';
import { buildTask, type TaskSource } from './build.ts';
import { copyUpper } from './copy-upper.ts';
import { count } from './count.ts';
import { extract } from './extract.ts';
import { palindrome } from './palindrome.ts';
import { reverse } from './reverse.ts';
import { sort } from './sort.ts';

/** In the order the playground lists them: the exact-match skills, then the open-ended and the hackable one. */
export const TASK_SOURCES: readonly TaskSource[] = [reverse, add, sort, copyUpper, count, extract, palindrome, addContains];

export function taskIds(): string[] {
  return TASK_SOURCES.map((t) => t.id);
}

export function findTaskSource(id: string): TaskSource | undefined {
  return TASK_SOURCES.find((t) => t.id === id);
}

export class UnknownTaskError extends Error {
  constructor(id: string) {
    super(`config.task = ${JSON.stringify(id)}: unknown task (built-in tasks: ${taskIds().join(', ')})`);
    this.name = 'UnknownTaskError';
  }
}

export function builtinTask(id: string, opts: TaskOptions): Task {
  const src = findTaskSource(id);
  if (!src) throw new UnknownTaskError(id);
  return buildTask(src, opts);
}
