import { EXACT_MATCH } from '../graders/index.ts';
import type { TaskItem } from '../engine/task.ts';
import { allStrings, distinct, type TaskSource } from './build.ts';

const DIGITS = ['1', '2', '3'];
const NEURAL_DIGITS = ['1', '2', '3', '4'];

const sortedOf = (s: string) => [...s].sort().join('');

// Prompts that are already sorted are left out: copying the prompt must always be a mistake.
const pool: TaskItem[] = [...allStrings(DIGITS, 3), ...allStrings(DIGITS, 4), ...allStrings(DIGITS, 5)]
  .filter((s) => sortedOf(s) !== s)
  .map((s) => ({ prompt: s, reference: sortedOf(s) }));

export const sort: TaskSource = {
  id: 'sort',
  title: 'Sort',
  description:
    'Write the digits of the prompt in ascending order: "3121" → "1123". Prompts are 3–5 digits from {1, 2, 3} ' +
    'that are not already sorted, so copying the prompt is always wrong. Exact match is the grader. From a ' +
    'uniform start a 5-digit answer is right only 1 time in 4,096, so some prompts are never solved within a ' +
    'few hundred steps: this task needs a warm start (policy.init "base", a model that already writes plausible ' +
    'digit strings). Wrong demonstrations copy the prompt, sort descending, swap two digits or drop one.',
  alphabet: DIGITS,
  maxLen: 6,
  pool,
  defaultPrompts: 8,
  wrongAnswers(item) {
    const r = String(item.reference);
    const descending = [...r].reverse().join('');
    const swapped = r[1] + r[0] + r.slice(2);
    return distinct([item.prompt, descending, swapped, r.slice(0, -1), r + r[r.length - 1]], [r]);
  },
  grader: EXACT_MATCH,
  target: { reward: 0.95, steps: 300, config: { policy: { init: 'base' } } },
  neural: {
    description: 'Write the digits of the prompt in ascending order: "3142" → "1234". 3–5 digits from {1, 2, 3, 4}, never already sorted (1,233 prompts).',
    alphabet: NEURAL_DIGITS,
    maxLen: 6,
    pool: [3, 4, 5].flatMap((n) => allStrings(NEURAL_DIGITS, n)).filter((s) => sortedOf(s) !== s).map((s) => ({ prompt: s, reference: sortedOf(s) })),
  },
};
