import { EXACT_MATCH } from '../graders/index.ts';
import type { TaskItem } from '../engine/task.ts';
import { allStrings, distinct, type TaskSource } from './build.ts';

const LETTERS = ['a', 'b', 'c'];
const DIGITS = ['0', '1', '2', '3', '4', '5'];
const NEURAL_DIGITS = ['0', '1', '2', '3', '4', '5', '6'];

const pool: TaskItem[] = [];
for (const word of [...allStrings(LETTERS, 4), ...allStrings(LETTERS, 5)]) {
  for (const letter of LETTERS) {
    const count = [...word].filter((ch) => ch === letter).length;
    pool.push({ prompt: `${letter} in ${word}`, reference: String(count), letter, word });
  }
}

export const count: TaskSource = {
  id: 'count',
  title: 'Count',
  description:
    'Count how often a letter occurs in a word: "b in abcab" → "2". Words are 4–5 letters from {a, b, c}; the ' +
    'answer is one digit from 0 to 5 and EOS, so a uniform policy is right 1 time in 49. Wrong demonstrations ' +
    'are off by one or give the word\'s length.',
  alphabet: DIGITS,
  maxLen: 2,
  pool,
  defaultPrompts: 16,
  wrongAnswers(item) {
    const n = Number(item.reference);
    const length = String(item.word).length;
    const near = [n + 1, n - 1, length, n + 2].filter((x) => x >= 0 && x <= 5).map(String);
    return distinct(near, [String(n)]);
  },
  grader: EXACT_MATCH,
  target: { reward: 0.95, steps: 300 },
  neural: {
    description: 'Count how often a letter occurs in a word: "b in abcab" → "2". Words of 4–6 letters from {a, b, c} (3,159 prompts); the answer is one digit from 0 to 6.',
    alphabet: NEURAL_DIGITS,
    maxLen: 2,
    pool: [4, 5, 6].flatMap((n) => allStrings(LETTERS, n)).flatMap((word) =>
      LETTERS.map((letter) => ({ prompt: `${letter} in ${word}`, reference: String([...word].filter((ch) => ch === letter).length), letter, word })),
    ),
    wrongAnswers(item) {
      const n = Number(item.reference);
      return distinct([n + 1, n - 1, String(item.word).length, n + 2].filter((x) => x >= 0 && x <= 6).map(String), [String(n)]);
    },
  },
};
