/** The built-in task library. */
import type { Task, TaskOptions } from '../engine/task.ts';
import { add } from './add.ts';
import { buildTask, type TaskSource } from './build.ts';
import { reverse } from './reverse.ts';

export const TASK_SOURCES: readonly TaskSource[] = [reverse, add];

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
