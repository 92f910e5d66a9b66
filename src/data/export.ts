/**
 * Any task, built-in or custom, written out as the three OpenAI fine-tuning files, so a student can take
 * the same data to a real fine-tuning service. Importing the files again gives the same prompts, items,
 * demonstrations and pairs (the vocabulary is re-derived from the answers).
 */
import type { GraderSpec, Task, TaskItem } from '../engine/task.ts';
import type { TaskFiles } from '../engine/config.ts';
import { toMessages, type ChatMessage, type DataKind } from './formats.ts';
import type { NamedText } from './jsonl.ts';

export interface TaskExport {
  files: Record<DataKind, NamedText>;
  /** The config.task object that loads these files back (with the task's grader and max_len). */
  taskConfig: TaskFiles;
  /** The task's evaluation graders, for config.eval_graders (config.task has no place for them). */
  evalGraders: Record<string, GraderSpec>;
}

export const DEFAULT_FILE_NAMES: Record<DataKind, string> = { sft: 'sft.jsonl', dpo: 'dpo.jsonl', rft: 'rft.jsonl' };

function promptMessages(item: TaskItem): ChatMessage[] {
  const context = Array.isArray(item.context_messages) ? (item.context_messages as ChatMessage[]) : [];
  return toMessages({ context, prompt: item.prompt });
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');

export function exportTask(task: Task, names: Record<DataKind, string> = DEFAULT_FILE_NAMES): TaskExport {
  const rft = task.items.map((item) => {
    const { prompt: _prompt, context_messages: _context, ...fields } = item;
    return { messages: promptMessages(item), ...fields };
  });
  const sft = task.demos.map((d) => ({
    messages: [...promptMessages(task.items[d.prompt]), { role: 'assistant', content: d.answer }],
  }));
  const dpo = task.pairs.map((p) => ({
    input: { messages: promptMessages(task.items[p.prompt]) },
    preferred_output: [{ role: 'assistant', content: p.chosen }],
    non_preferred_output: [{ role: 'assistant', content: p.rejected }],
  }));
  return {
    files: {
      sft: { name: names.sft, text: jsonl(sft) },
      dpo: { name: names.dpo, text: jsonl(dpo) },
      rft: { name: names.rft, text: jsonl(rft) },
    },
    taskConfig: { sft_file: names.sft, dpo_file: names.dpo, rft_file: names.rft, grader: task.grader, max_len: task.maxLen },
    evalGraders: { ...(task.evalGraders ?? {}) },
  };
}
