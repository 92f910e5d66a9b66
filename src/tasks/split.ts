/**
 * Which prompts of a pool are trained on and which are held out. Held-out
 * prompts are chosen first (a seeded random share, or the longest ones for
 * length generalisation), then the train prompts from the rest, so the two
 * sets are disjoint by construction; what is left is the pretraining corpus.
 */
import { permutation, Stream } from '../engine/prng.ts';

/** Prompts are picked from the pool with this fixed seed, so changing the run's seed keeps the same prompts. */
export const PROMPT_SEED = 0x5eed;

export interface PoolSplit {
  train: number[];
  heldOut: number[];
  /** Pool indices in neither set, in shuffled order. */
  rest: number[];
}

export function splitPool(prompts: readonly string[], nTrain: number, nEval: number, split: 'random' | 'longest'): PoolSplit {
  const order = Array.from(permutation(prompts.length, PROMPT_SEED, Stream.data, 0));
  nEval = Math.min(nEval, Math.max(0, prompts.length - 1));
  let heldOut: number[];
  if (split === 'longest') {
    // Longest first; ties in the shuffled order, so which of the equally long prompts are held out is seeded too.
    const rank = new Map(order.map((i, r) => [i, r]));
    const byLength = [...order].sort((a, b) => [...prompts[b]].length - [...prompts[a]].length || rank.get(a)! - rank.get(b)!);
    heldOut = byLength.slice(0, nEval);
  } else {
    // The held-out prompts come from the end of the shuffled order, so the train prompts stay the
    // same ones a run without held-out prompts trains on.
    heldOut = order.slice(order.length - nEval);
  }
  const held = new Set(heldOut);
  const remaining = order.filter((i) => !held.has(i));
  const train = remaining.slice(0, Math.min(nTrain, remaining.length));
  return { train, heldOut, rest: remaining.slice(train.length) };
}

/**
 * Holds out `nEval` of a finished task's prompts (a custom task's files): the
 * held-out prompts move to the end of `items`, and the demonstrations, pairs
 * and base corpus on them are dropped, so no lane can train on them.
 */
export function holdOut<T extends import('../engine/task.ts').Task>(task: T, nEval: number, split: 'random' | 'longest'): T {
  if (nEval <= 0) return task;
  if (nEval >= task.items.length) {
    throw new Error(`eval_prompts = ${nEval}: the task has ${task.items.length} prompts, and at least one must be left to train on`);
  }
  const s = splitPool(task.items.map((i) => i.prompt), task.items.length - nEval, nEval, split);
  const order = [...s.train, ...s.heldOut];
  const newIndex = new Map(order.map((old, i) => [old, i]));
  const nTrain = s.train.length;
  const moved = <D extends { prompt: number }>(list: D[]) => list.map((d) => ({ ...d, prompt: newIndex.get(d.prompt)! })).filter((d) => d.prompt < nTrain);
  return {
    ...task,
    items: order.map((i) => task.items[i]),
    trainPrompts: nTrain,
    demos: moved(task.demos),
    pairs: moved(task.pairs),
    base: task.base ? moved(task.base) : undefined,
  };
}
