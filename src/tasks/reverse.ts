import { EXACT_MATCH } from '../graders/index.ts';
import { allStrings, distinct, type TaskSource } from './build.ts';

const LETTERS = ['a', 'b', 'c'];
const NEURAL_LETTERS = ['a', 'b', 'c', 'd'];

export const reverse: TaskSource = {
  id: 'reverse',
  title: 'Reverse',
  description:
    'Write the letters of the prompt backwards: "abc" → "cba". Strings of 3–4 letters from {a, b, c}; ' +
    'exact match is the grader. From a uniform start a correct 4-letter answer has a chance of 1 in 1,024 ' +
    'per sample, so RFT must first stumble on it; grouped sampling (num_generations) makes that happen.',
  alphabet: LETTERS,
  maxLen: 5,
  pool: [...allStrings(LETTERS, 3), ...allStrings(LETTERS, 4)].map((s) => ({ prompt: s, reference: [...s].reverse().join('') })),
  defaultPrompts: 8,
  wrongAnswers(item) {
    const s = item.prompt;
    const r = String(item.reference);
    const swapped = r.length > 1 ? r[1] + r[0] + r.slice(2) : r + 'a';
    const rotated = r.slice(1) + r[0];
    const dropped = r.slice(0, -1);
    return distinct([s, swapped, rotated, dropped, r + r[0]], [r]);
  },
  grader: EXACT_MATCH,
  target: { reward: 0.9, steps: 300 },
  neural: {
    description: 'Write the letters of the prompt backwards: "abcd" → "dcba". Strings of 3–5 letters from {a, b, c, d} (1,344 prompts).',
    alphabet: NEURAL_LETTERS,
    maxLen: 6,
    pool: [3, 4, 5].flatMap((n) => allStrings(NEURAL_LETTERS, n)).map((s) => ({ prompt: s, reference: [...s].reverse().join('') })),
  },
};
