import { EXACT_MATCH } from '../graders/index.ts';
import type { TaskItem } from '../engine/task.ts';
import { distinct, type TaskSource } from './build.ts';

// Real words spelled with four letters, so the alphabet stays small enough for a uniform start to succeed sometimes.
const WORDS = ['at', 'an', 'no', 'on', 'to', 'ant', 'not', 'oat', 'tan', 'ton', 'tot', 'toot', 'onto', 'noon'];
const UPPER = ['A', 'N', 'O', 'T'];

const pool: TaskItem[] = WORDS.map((w) => ({ prompt: w, reference: w.toUpperCase() }));

export const copyUpper: TaskSource = {
  id: 'copy-upper',
  title: 'Copy in capitals',
  description:
    'Copy the word in capital letters: "ant" → "ANT". Words of 2–4 letters spelled with a, n, o, t; the model ' +
    'writes only capitals, so the skill is copying the right letters in the right order. Exact match is the ' +
    'grader; a uniform policy is right 1 time in 125 (2 letters) to 3,125 (4 letters). Wrong demonstrations ' +
    'reverse the word, drop or double a letter.',
  alphabet: UPPER,
  maxLen: 5,
  pool,
  defaultPrompts: 8,
  wrongAnswers(item) {
    const r = String(item.reference);
    const reversed = [...r].reverse().join('');
    return distinct([reversed, r.slice(0, -1), r + r[r.length - 1], r[0] + r, r.slice(1)], [r]);
  },
  grader: EXACT_MATCH,
  target: { reward: 0.9, steps: 300 },
};
