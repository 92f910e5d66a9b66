/**
 * Turns a task's source (a pool of prompts with references, and a generator of
 * plausible wrong answers) into everything the three objectives learn from:
 * demonstrations (SFT), preference pairs (DPO), prompts + grader (RFT), and a
 * base corpus for the warm start. All choices are seeded, so data is reproducible.
 */
import { drawUnit, permutation, Stream } from '../engine/prng.ts';
import type { Demo, GraderSpec, Pair, Task, TaskItem, TaskOptions } from '../engine/task.ts';
import { splitPool } from './split.ts';

export const DEMOS_PER_PROMPT = 4;
export const PAIRS_PER_PROMPT = 4;

export interface TaskSource {
  id: string;
  title: string;
  description: string;
  alphabet: string[];
  maxLen: number;
  /** Every prompt the task can pose, each with its reference answer. */
  pool: TaskItem[];
  defaultPrompts: number;
  /** Plausible wrong answers for an item (at least one, none equal to a correct answer). */
  wrongAnswers(item: TaskItem): string[];
  /**
   * Wrong answers DPO pairs reject; defaults to wrongAnswers. A task gives its own when the
   * demonstration errors would teach DPO nothing about the answer's shape (DPO only learns
   * where chosen and rejected differ).
   */
  rejectedAnswers?(item: TaskItem): string[];
  /** A correct answer for demonstrations; defaults to item.reference. */
  demoAnswer?(item: TaskItem, k: number): string;
  grader: GraderSpec;
  evalGraders?: Record<string, GraderSpec>;
  target?: Task['target'];
  /**
   * The task at the transformer's scale: a pool large enough that held-out prompts mean something
   * (≥ 500), with its own answer length and alphabet. Tasks without one use the pool above.
   */
  neural?: NeuralScale;
}

/** A task asked for more prompts than it has (a config problem: the CLI exits 2). */
export class TaskSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskSizeError';
  }
}

export interface NeuralScale {
  description: string;
  alphabet: string[];
  maxLen: number;
  pool: TaskItem[];
  wrongAnswers?: TaskSource['wrongAnswers'];
  rejectedAnswers?: TaskSource['rejectedAnswers'];
}

/**
 * The neural scale's usual sizes: 256 prompts held out, a quarter of the pool for the base model's
 * pretraining corpus, the rest trained on. The transformer generalises from its train prompts, so it
 * gets most of the pool (at 512 train prompts SFT on add plateaued at 0.93 held-out; see the note of issue 17).
 */
export const NEURAL_HELD_OUT = 256;
export const NEURAL_CORPUS_SHARE = 0.25;

/** Train, held-out and corpus sizes for a pool of `n` prompts at the neural scale. */
export function neuralSizes(n: number): { defaultPrompts: number; defaultEvalPrompts: number } {
  return { defaultPrompts: n - NEURAL_HELD_OUT - Math.round(NEURAL_CORPUS_SHARE * n), defaultEvalPrompts: NEURAL_HELD_OUT };
}

/** The source at a scale: the neural variant replaces the pool, alphabet, length and default counts. */
export function atScale(src: TaskSource, scale: TaskOptions['scale']): TaskSource & { defaultEvalPrompts: number } {
  if (scale !== 'neural') return { ...src, defaultEvalPrompts: 0 };
  const n = src.neural;
  if (!n) return { ...src, defaultPrompts: Math.ceil(src.pool.length * 0.7), defaultEvalPrompts: Math.floor(src.pool.length * 0.3) };
  return { ...src, ...n, ...neuralSizes(n.pool.length) };
}

export function buildTask(source: TaskSource, opts: TaskOptions): Task {
  const src = atScale(source, opts.scale);
  if (opts.evalPrompts != null && opts.evalPrompts > 0) {
    const train = Math.min(opts.numPrompts ?? src.defaultPrompts, src.pool.length);
    const scale = opts.scale === 'neural' ? ' at the transformer\'s scale' : '';
    if (opts.numPrompts != null && opts.numPrompts >= src.pool.length) {
      // num_prompts asks for the whole pool (or more): it is the field to change.
      throw new TaskSizeError(
        `config.num_prompts = ${opts.numPrompts} with eval_prompts = ${opts.evalPrompts}: task "${src.id}" has ${src.pool.length} prompts${scale}, ` +
          `so num_prompts leaves none to hold out; set num_prompts to at most ${Math.max(1, src.pool.length - opts.evalPrompts)}`,
      );
    }
    if (train + opts.evalPrompts > src.pool.length) {
      throw new TaskSizeError(
        `config.eval_prompts = ${opts.evalPrompts}: task "${src.id}" has ${src.pool.length} prompts${scale}, ` +
          `and ${train} are trained on (num_prompts); hold out at most ${Math.max(0, src.pool.length - train)} or train on fewer`,
      );
    }
  }
  const split = splitPool(
    src.pool.map((i) => i.prompt),
    opts.numPrompts ?? src.defaultPrompts,
    opts.evalPrompts ?? src.defaultEvalPrompts,
    opts.evalSplit ?? 'random',
  );
  // Demonstrations, pairs and the base corpus are built from the train prompts only.
  const items: TaskItem[] = split.train.map((i) => src.pool[i]);
  const heldOut = split.heldOut.map((i) => src.pool[i]);

  // Wrong answers that would not fit max_len (EOS included) cannot be demonstrated or preferred against.
  const wrongOf = (item: TaskItem, list = src.wrongAnswers(item)) => {
    const fits = list.filter((w) => Array.from(w).length + 1 <= src.maxLen);
    if (fits.length === 0) throw new Error(`task "${src.id}": no plausible wrong answer fits max_len for prompt "${item.prompt}"`);
    return fits;
  };
  const correct = (item: TaskItem, k: number) => (src.demoAnswer ? src.demoAnswer(item, k) : String(item.reference));
  const pick = (list: string[], key: number) => list[Math.floor(drawUnit(opts.seed, Stream.data, 1, key, 0) * list.length)];

  const demos: Demo[] = [];
  for (let k = 0; k < DEMOS_PER_PROMPT; k++) items.forEach((item, p) => demos.push({ prompt: p, answer: correct(item, k) }));
  // Exactly round(rate × count) demonstrations become plausible wrong answers.
  const wrongDemos = permutation(demos.length, opts.seed, Stream.data, 2);
  const demoErrors = Math.round(opts.demoErrorRate * demos.length);
  for (let i = 0; i < demoErrors; i++) {
    const d = demos[wrongDemos[i]];
    d.answer = pick(wrongOf(items[d.prompt]), wrongDemos[i]);
  }

  const pairs: Pair[] = [];
  for (let k = 0; k < PAIRS_PER_PROMPT; k++) {
    items.forEach((item, p) => {
      const wrong = wrongOf(item, src.rejectedAnswers?.(item));
      pairs.push({ prompt: p, chosen: correct(item, k), rejected: wrong[k % wrong.length] });
    });
  }
  const swapped = permutation(pairs.length, opts.seed, Stream.data, 3);
  const flips = Math.round(opts.preferenceNoise * pairs.length);
  for (let i = 0; i < flips; i++) {
    const pr = pairs[swapped[i]];
    [pr.chosen, pr.rejected] = [pr.rejected, pr.chosen];
  }

  const base: Demo[] = [];
  items.forEach((item, p) => {
    base.push({ prompt: p, answer: correct(item, 0) });
    for (const w of wrongOf(item)) base.push({ prompt: p, answer: w });
  });

  const fits = (item: TaskItem) => Array.from(String(item.reference)).length + 1 <= src.maxLen;
  return {
    id: src.id,
    title: src.title,
    description: src.description,
    alphabet: src.alphabet,
    maxLen: src.maxLen,
    items: [...items, ...heldOut],
    ...(heldOut.length
      ? {
          trainPrompts: items.length,
          heldOutWrong: heldOut.map((item) => wrongOf(item)),
        }
      : {}),
    ...(opts.scale === 'neural'
      ? { pretrainCorpus: split.rest.map((i) => src.pool[i]).filter(fits).map((item) => ({ prompt: item.prompt, answer: correct(item, 0) })) }
      : {}),
    // Shuffled once so that cycling through them in batches mixes prompts.
    demos: shuffled(demos, opts.seed, 4),
    pairs: shuffled(pairs, opts.seed, 5),
    base,
    grader: src.grader,
    evalGraders: src.evalGraders,
    target: src.target,
  };
}

function shuffled<T>(list: T[], seed: number, key: number): T[] {
  const order = permutation(list.length, seed, Stream.data, key);
  return Array.from(order, (i) => list[i]);
}

/** Distinct strings, first occurrence kept, excluding `exclude`. */
export function distinct(list: string[], exclude: string[]): string[] {
  const out: string[] = [];
  for (const s of list) if (!exclude.includes(s) && !out.includes(s)) out.push(s);
  return out;
}

/** All strings of length `len` over `alphabet`, in lexicographic order. */
export function allStrings(alphabet: string[], len: number): string[] {
  let out = [''];
  for (let i = 0; i < len; i++) out = out.flatMap((s) => alphabet.map((c) => s + c));
  return out;
}
