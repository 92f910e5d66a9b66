/**
 * A synthetic task at the scale the WebGPU backend is specified for (max_len
 * 8, vocabulary 32 = EOS + 31 characters): every prompt has one random answer
 * of 1–7 characters and the exact-match grader. Used by the benchmark and the
 * GPU tests; not a teaching task.
 */
import { drawUnit, Stream } from '../engine/prng.ts';
import type { Task, TaskItem } from '../engine/task.ts';
import { EXACT_MATCH } from '../graders/index.ts';

const ALPHABET = [...'abcdefghijklmnopqrstuvwxyz01234'];

export function syntheticTask(prompts: number, seed = 1): Task {
  const items: TaskItem[] = [];
  const pick = (p: number, k: number) => ALPHABET[Math.floor(drawUnit(seed, Stream.data, 100, p, k) * ALPHABET.length)];
  for (let p = 0; p < prompts; p++) {
    const length = 1 + Math.floor(drawUnit(seed, Stream.data, 101, p, 0) * 7);
    const reference = Array.from({ length }, (_, k) => pick(p, k)).join('');
    items.push({ prompt: `#${p}`, reference });
  }
  const wrong = (item: TaskItem) => String(item.reference).slice(1) || 'z';
  return {
    id: 'synthetic',
    title: 'Synthetic (benchmark)',
    description: `${prompts} prompts, each with one random answer of 1–7 of 31 characters; exact match.`,
    alphabet: ALPHABET,
    maxLen: 8,
    items,
    demos: items.map((item, p) => ({ prompt: p, answer: String(item.reference) })),
    pairs: items.map((item, p) => ({ prompt: p, chosen: String(item.reference), rejected: wrong(item) })),
    grader: EXACT_MATCH,
  };
}
