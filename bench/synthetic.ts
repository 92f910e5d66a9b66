/** The benchmark's task: V = 32 (31 characters + EOS), answers up to 7 characters (max_len 8), exact-match grading. */
import { loadConfig, type Config } from '../src/engine/config.ts';
import { EXACT_MATCH } from '../src/graders/index.ts';
import type { Task } from '../src/engine/task.ts';

export const ALPHABET = Array.from('abcdefghijklmnopqrstuvwxyz01234');
export const MAX_LEN = 8;
export const SIZES = [256, 4096, 65536];
export const GENERATIONS = 32;

export function syntheticTask(prompts: number): Task {
  const items = Array.from({ length: prompts }, (_, p) => {
    let reference = '';
    for (let i = 0; i < 1 + (p % 7); i++) reference += ALPHABET[(p * 7 + i * 13) % ALPHABET.length];
    return { prompt: `p${p}`, reference };
  });
  return {
    id: 'bench',
    title: 'Benchmark',
    description: 'Synthetic prompts with answers of 1–7 characters from a 31-character alphabet.',
    alphabet: ALPHABET,
    maxLen: MAX_LEN,
    items,
    demos: items.map((it, p) => ({ prompt: p, answer: String(it.reference) })),
    pairs: items.map((it, p) => ({ prompt: p, chosen: String(it.reference), rejected: String(it.reference).slice(1) || 'a' })),
    grader: EXACT_MATCH,
  };
}

/** A config drawing `candidates` answers per step: candidates / 32 prompts × 32 generations. */
export function benchConfig(candidates: number, over: Record<string, unknown> = {}): Config {
  return loadConfig({ backend: 'cpu', batch_prompts: candidates / GENERATIONS, num_generations: GENERATIONS, policy: { init_scale: 0.5 }, ...over });
}

export function table(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0]);
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => '| ' + vals.map((v, i) => v.padStart(widths[i])).join(' | ') + ' |';
  return [line(cols), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}
