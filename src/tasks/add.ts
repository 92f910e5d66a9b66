import { EXACT_MATCH } from '../graders/index.ts';
import type { TaskItem } from '../engine/task.ts';
import { distinct, type TaskSource } from './build.ts';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

const pool: TaskItem[] = [];
for (let a = 0; a <= 9; a++) for (let b = 0; a + b <= 9; b++) pool.push({ prompt: `${a}+${b}=`, reference: String(a + b), a, b });

// The transformer's pool, as the feasibility sketch's: both operands 0–49.
const NEURAL_POOL: TaskItem[] = [];
for (let a = 0; a < 50; a++) for (let b = 0; b < 50; b++) NEURAL_POOL.push({ prompt: `${a}+${b}=`, reference: String(a + b), a, b });

export const add: TaskSource = {
  id: 'add',
  title: 'Add',
  description:
    'Single-digit addition with a one-digit sum: "3+4=" → "7". The answer is one digit and EOS, so a uniform ' +
    'policy is right 1 time in 121. Wrong demonstrations are off by one or copy an operand.',
  alphabet: DIGITS,
  maxLen: 3,
  pool,
  defaultPrompts: 16,
  wrongAnswers(item) {
    const s = Number(item.reference);
    const a = Number(item.a);
    const b = Number(item.b);
    const near = [s + 1, s - 1, a, b, s + 2, s - 2].filter((x) => x >= 0 && x <= 9).map(String);
    return distinct(near, [String(s)]);
  },
  // Half the rejected answers are two digits (the operands written side by side, or the sum plus ten):
  // only a pair whose answers differ in length teaches DPO where the answer ends.
  rejectedAnswers(item) {
    const s = Number(item.reference);
    const a = Number(item.a);
    const b = Number(item.b);
    return distinct([String(s + 1 <= 9 ? s + 1 : s - 1), `${a}${b}`, String(s >= 1 ? s - 1 : s + 2), String(s + 10)], [String(s)]);
  },
  grader: EXACT_MATCH,
  target: { reward: 0.95, steps: 300 },
  neural: {
    description:
      'Two-digit addition: "23+45=" → "68", operands 0–49 (2,500 prompts). The model must learn the rule to be right on ' +
      'prompts it never trained on. Wrong demonstrations are off by one (one plausible habit, always the same).',
    alphabet: DIGITS,
    maxLen: 3,
    pool: NEURAL_POOL,
    // One systematic mistake, off by one: a base that learned addition rarely makes exactly this one, so the share of
    // held-out answers that are it (eval_copy_rate) shows SFT picking up the demonstrations' habit.
    wrongAnswers(item) {
      return [String(Number(item.reference) + 1)];
    },
    // Near misses, as a base model's wrong samples are: they share most of the answer with the right one.
    rejectedAnswers(item) {
      const s = Number(item.reference);
      return distinct([s + 1, s - 1, s + 10, s - 10, Number(item.a), Number(item.b)].filter((x) => x >= 0 && x <= 99).map(String), [String(s)]);
    },
  },
};
