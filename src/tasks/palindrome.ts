import type { GraderSpec, TaskItem } from '../engine/task.ts';
import { allStrings, distinct, type TaskSource } from './build.ts';

const LETTERS = ['a', 'b', 'c'];
const MIN_LENGTH = 3;
const MAX_LENGTH = 5;

const isPalindrome = (s: string) => s === [...s].reverse().join('');

function palindromesStartingWith(letter: string): string[] {
  const out: string[] = [];
  for (let n = MIN_LENGTH; n <= MAX_LENGTH; n++) for (const s of allStrings(LETTERS, n)) if (s[0] === letter && isPalindrome(s)) out.push(s);
  return out;
}

/**
 * Many answers are right, so exact match against one reference cannot grade this task. The item carries every
 * accepted answer as "|aba|aca|…|" and an OpenAI `string_check` with `like` (substring) asks whether
 * "|<output>|" is in that list: the delimiters stop "ab" from matching inside "|aba|", and an empty output
 * ("||") never matches because the list has no empty entry.
 */
export const PALINDROME_GRADER: GraderSpec = {
  type: 'string_check',
  name: 'is_palindrome',
  operation: 'like',
  input: '{{item.palindromes}}',
  reference: '|{{sample.output_text}}|',
};

const pool: TaskItem[] = LETTERS.map((letter) => {
  const accepted = palindromesStartingWith(letter);
  return { prompt: `starts with ${letter}`, reference: accepted[0], palindromes: `|${accepted.join('|')}|` };
});

export const palindrome: TaskSource = {
  id: 'palindrome',
  title: 'Palindrome',
  description:
    'Open-ended: write any palindrome of 3–5 letters from {a, b, c} that starts with the given letter, e.g. ' +
    '"starts with a" → "aba", "acca" or "abcba" (15 right answers per prompt). The grader accepts every ' +
    'palindrome, so watch the diversity of the samples: RFT narrows each prompt down to a few favourite answers ' +
    '(mode collapse) although all 15 are rewarded equally. Demonstrations show different palindromes; wrong ones ' +
    'are near misses such as "abc" or "abca".',
  alphabet: LETTERS,
  maxLen: MAX_LENGTH + 1,
  pool,
  defaultPrompts: 3,
  demoAnswer(item, k) {
    const accepted = String(item.palindromes).split('|').filter(Boolean);
    // Spread the demonstrations over lengths 3, 4 and 5 rather than always the first few 3-letter ones.
    return accepted[(k * 7) % accepted.length];
  },
  wrongAnswers(item) {
    const first = item.prompt.slice(-1);
    const other = LETTERS.filter((c) => c !== first);
    const nearMisses = [first + other[0] + other[1], first + other[0], first + other[0] + other[1] + first, first + first + other[0]];
    return distinct(nearMisses.filter((s) => !isPalindrome(s)), []);
  },
  grader: PALINDROME_GRADER,
  target: { reward: 0.9, steps: 200 },
};
