/**
 * The built-in task library: every task is well formed, its data agrees with an independent computation of
 * the right answer, and the knobs (demo_error_rate, preference_noise, num_prompts) do exactly what they say.
 */
import { describe, expect, it } from 'vitest';
import { MAX_VOCAB, type Task } from '../../src/engine/task.ts';
import { builtinTask, findTaskSource, TASK_SOURCES, taskIds, UnknownTaskError } from '../../src/tasks/index.ts';
import { scoreAll } from './helpers.ts';

const options = { seed: 0, numPrompts: null, demoErrorRate: 0, preferenceNoise: 0 };

/** The right answer computed from the prompt alone, independently of the task modules. */
const SOLVERS: Record<string, ((prompt: string) => string) | undefined> = {
  reverse: (p) => p.split('').reverse().join(''),
  add: (p) => String(Number(p[0]) + Number(p[2])),
  'add-contains': (p) => String(Number(p[0]) + Number(p[2])),
  sort: (p) => p.split('').sort().join(''),
  'copy-upper': (p) => p.toUpperCase(),
  count: (p) => {
    const [letter, word] = p.split(' in ');
    return String(word.split(letter).length - 1);
  },
  extract: (p) => /(?:^|;)age=(\d+)/.exec(p)![1],
};

const isPalindrome = (s: string) => s.length >= 3 && s.length <= 5 && s === s.split('').reverse().join('');

describe('built-in task library', () => {
  it('has the eight tasks of the issue, in a stable order', () => {
    expect(taskIds()).toEqual(['reverse', 'add', 'sort', 'copy-upper', 'count', 'extract', 'palindrome', 'add-contains']);
  });

  it('names the known tasks when an id is unknown', () => {
    expect(() => builtinTask('revers', options)).toThrow(UnknownTaskError);
    expect(() => builtinTask('revers', options)).toThrow(/config\.task = "revers": unknown task \(built-in tasks: reverse, add, sort/);
  });

  for (const src of TASK_SOURCES) {
    describe(src.id, () => {
      const task: Task = builtinTask(src.id, options);

      it('is described for students and documents a target', () => {
        expect(task.description.length).toBeGreaterThan(80);
        expect(task.target).toBeDefined();
        expect(task.target!.reward).toBeGreaterThan(0.5);
        expect(task.target!.steps).toBeLessThanOrEqual(300);
        expect(task.items.length).toBe(Math.min(src.defaultPrompts, src.pool.length));
        expect(task.alphabet.length + 1).toBeLessThanOrEqual(MAX_VOCAB);
        expect(new Set(task.items.map((i) => i.prompt)).size).toBe(task.items.length);
      });

      it('has references that match an independent solution and fit max_len', () => {
        for (const item of task.items) {
          const solve = SOLVERS[src.id];
          if (solve) expect(item.reference, item.prompt).toBe(solve(item.prompt));
          else expect(isPalindrome(String(item.reference))).toBe(true);
          expect(Array.from(String(item.reference)).length + 1).toBeLessThanOrEqual(task.maxLen);
          for (const ch of String(item.reference)) expect(task.alphabet).toContain(ch);
        }
      });

      it('grades every demonstration and chosen answer 1, every rejected answer 0, with its default grader', async () => {
        const items = task.items;
        const demoScores = await scoreAll(task.grader, task.demos.map((d) => d.answer), task.demos.map((d) => items[d.prompt]));
        expect(demoScores.every((s) => s === 1)).toBe(true);
        const pairItems = task.pairs.map((p) => items[p.prompt]);
        expect((await scoreAll(task.grader, task.pairs.map((p) => p.chosen), pairItems)).every((s) => s === 1)).toBe(true);
        expect((await scoreAll(task.grader, task.pairs.map((p) => p.rejected), pairItems)).every((s) => s === 0)).toBe(true);
      });

      it('demo_error_rate and preference_noise corrupt exactly the share asked for', async () => {
        const noisy = builtinTask(src.id, { seed: 3, numPrompts: null, demoErrorRate: 0.3, preferenceNoise: 0.25 });
        const demoScores = await scoreAll(noisy.grader, noisy.demos.map((d) => d.answer), noisy.demos.map((d) => noisy.items[d.prompt]));
        expect(demoScores.filter((s) => s === 0).length).toBe(Math.round(0.3 * noisy.demos.length));
        const chosen = await scoreAll(noisy.grader, noisy.pairs.map((p) => p.chosen), noisy.pairs.map((p) => noisy.items[p.prompt]));
        expect(chosen.filter((s) => s === 0).length).toBe(Math.round(0.25 * noisy.pairs.length));
        // Wrong demonstrations must still be writable by the model: in the alphabet and within max_len.
        for (const d of noisy.demos) {
          expect(Array.from(d.answer).length + 1).toBeLessThanOrEqual(noisy.maxLen);
          for (const ch of d.answer) expect(noisy.alphabet).toContain(ch);
        }
      });

      it('takes num_prompts prompts, the same ones whatever the seed', () => {
        const n = Math.min(2, src.pool.length);
        const a = builtinTask(src.id, { ...options, numPrompts: n });
        const b = builtinTask(src.id, { ...options, seed: 99, numPrompts: n });
        expect(a.items.length).toBe(n);
        expect(b.items).toEqual(a.items);
      });
    });
  }

  it('palindrome accepts exactly the palindromes of 3–5 letters that start with the prompt letter', async () => {
    const task = builtinTask('palindrome', options);
    const letters = ['a', 'b', 'c'];
    const candidates: string[] = [''];
    for (let n = 1; n <= 6; n++) for (const s of [...candidates]) if (s.length === n - 1) for (const c of letters) candidates.push(s + c);
    for (const item of task.items) {
      const first = item.prompt.slice(-1);
      const scores = await scoreAll(task.grader, candidates, candidates.map(() => item));
      const accepted = candidates.filter((_, i) => scores[i] === 1);
      expect(accepted).toEqual(candidates.filter((s) => isPalindrome(s) && s[0] === first));
      expect(accepted.length).toBe(15); // 3 of length 3, 3 of length 4, 9 of length 5
    }
  });

  it('add-contains rewards a digit string that merely contains the answer, and its exact grader does not', async () => {
    const src = findTaskSource('add-contains')!;
    const task = builtinTask('add-contains', options);
    const items = task.items.slice(0, 3);
    const gamed = items.map(() => '0123456789');
    expect(await scoreAll(task.grader, gamed, items)).toEqual([1, 1, 1]);
    expect(await scoreAll(src.evalGraders!.exact_match, gamed, items)).toEqual([0, 0, 0]);
    expect(Array.from('0123456789').length + 1).toBeLessThanOrEqual(task.maxLen);
  });
});
