/** Export then import gives the same task, for every built-in task and for custom data. */
import { describe, expect, it } from 'vitest';
import { customTask, exportTask, readRecords, type TaskFileTexts } from '../../src/data/index.ts';
import type { Task } from '../../src/engine/task.ts';
import { builtinTask, taskIds } from '../../src/tasks/index.ts';

const options = { seed: 0, numPrompts: null, demoErrorRate: 0, preferenceNoise: 0 };

function reimport(task: Task): Task {
  const { files, taskConfig } = exportTask(task);
  return customTask(files, { ...options, grader: taskConfig.grader, maxLen: taskConfig.max_len });
}

describe('export then import', () => {
  for (const id of taskIds()) {
    it(`keeps the prompts, items, demonstrations, pairs and grader of built-in "${id}"`, () => {
      // Noisy data must survive too: the corrupted demonstrations and swapped pairs are part of the task.
      const task = builtinTask(id, { seed: 5, numPrompts: null, demoErrorRate: 0.25, preferenceNoise: 0.25 });
      const back = reimport(task);
      expect(back.items).toEqual(task.items);
      expect(back.demos).toEqual(task.demos);
      expect(back.pairs).toEqual(task.pairs);
      expect(back.grader).toEqual(task.grader);
      expect(back.maxLen).toBe(task.maxLen);
      // The vocabulary is re-derived from the answers: the built-in alphabet's characters that occur, in order.
      const used = new Set([...task.demos.map((d) => d.answer), ...task.pairs.flatMap((p) => [p.chosen, p.rejected]), ...task.items.map((i) => String(i.reference))].join(''));
      expect(back.alphabet).toEqual([...used].sort());
      expect(back.alphabet.every((ch) => task.alphabet.includes(ch))).toBe(true);
    });
  }

  it('writes the OpenAI formats line for line', () => {
    const task = builtinTask('add', options);
    const { files } = exportTask(task);
    const [sft] = files.sft.text.split('\n');
    const [dpo] = files.dpo.text.split('\n');
    const [rft] = files.rft.text.split('\n');
    const d = task.demos[0];
    expect(JSON.parse(sft)).toEqual({ messages: [{ role: 'user', content: task.items[d.prompt].prompt }, { role: 'assistant', content: d.answer }] });
    const p = task.pairs[0];
    expect(JSON.parse(dpo)).toEqual({
      input: { messages: [{ role: 'user', content: task.items[p.prompt].prompt }] },
      preferred_output: [{ role: 'assistant', content: p.chosen }],
      non_preferred_output: [{ role: 'assistant', content: p.rejected }],
    });
    const item = task.items[0];
    expect(JSON.parse(rft)).toEqual({ messages: [{ role: 'user', content: item.prompt }], reference: item.reference, a: item.a, b: item.b });
    expect(files.sft.text.trimEnd().split('\n')).toHaveLength(task.demos.length);
    expect(files.dpo.text.trimEnd().split('\n')).toHaveLength(task.pairs.length);
    expect(files.rft.text.trimEnd().split('\n')).toHaveLength(task.items.length);
  });

  it('gives back an identical custom task, system prompts and extra item fields included', () => {
    const system = { role: 'system', content: 'Answer in one word.' };
    const files: TaskFileTexts = {
      rft: {
        name: 'rft.jsonl',
        text: [
          { messages: [system, { role: 'user', content: 'Capital of France?' }], reference: 'Paris', difficulty: 1, tags: ['geo'] },
          { messages: [{ role: 'user', content: 'Capital of Spain?' }], reference: 'Madrid' },
        ]
          .map((r) => JSON.stringify(r))
          .join('\n'),
      },
      sft: {
        name: 'sft.jsonl',
        text: JSON.stringify({ messages: [system, { role: 'user', content: 'Capital of Italy?' }, { role: 'assistant', content: 'Rome' }] }),
      },
      dpo: {
        name: 'dpo.jsonl',
        text: JSON.stringify({
          input: { messages: [system, { role: 'user', content: 'Capital of France?' }] },
          preferred_output: [{ role: 'assistant', content: 'Paris' }],
          non_preferred_output: [{ role: 'assistant', content: 'Lyon' }],
        }),
      },
    };
    const task = customTask(files, options);
    // A system prompt is part of the prompt, not a prompt of its own: one prompt per question.
    expect(task.items.map((i) => i.prompt)).toEqual(['Capital of France?', 'Capital of Spain?', 'Capital of Italy?']);
    expect(task.items[0].context_messages).toEqual([system]);
    expect(task.pairs).toEqual([{ prompt: 0, chosen: 'Paris', rejected: 'Lyon' }]);
    const back = reimport(task);
    // Exported under the same file names, so even the title and description are the same.
    expect(back).toEqual(task);
    // And the exported RFT lines read back as the same records.
    expect(readRecords('rft', exportTask(back).files.rft)).toEqual(readRecords('rft', exportTask(task).files.rft));
  });
});
