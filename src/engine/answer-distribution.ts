/**
 * The most likely whole answers of one prompt, with their exact probabilities:
 * the product of the next-token probabilities along each answer, as the
 * sampler draws them (an answer ends at EOS, or is cut at max_len). Works on
 * any policy kind through its `nextTokenDistribution` read-out.
 *
 * Best-first search: a partial answer's probability bounds every completion
 * of it, so popping the most likely item first yields complete answers in
 * decreasing order, and the search stops after `limit` of them, however
 * large the space of answers is (V^max_len).
 *
 * `topK` keeps the K most likely tokens at each position and renormalises, as
 * top-k sampling does; it describes a sampling setting, not the run's own
 * sampler (which uses the whole distribution).
 */
import { EOS } from './task.ts';

export interface AnswerProbability {
  /** Token ids, EOS included when the answer ended before max_len. */
  tokens: number[];
  probability: number;
}

export interface AnswerDistribution {
  answers: AnswerProbability[];
  /** Probability mass of the listed answers; 1 − covered is everything not listed. */
  covered: number;
}

type Item = { prefix: number[]; probability: number; complete: boolean };

/** A max-heap of items by probability (ties: the earlier pushed first, so results are deterministic). */
class Heap {
  private items: { item: Item; order: number }[] = [];
  private pushed = 0;

  get size(): number {
    return this.items.length;
  }

  push(item: Item): void {
    const a = this.items;
    a.push({ item, order: this.pushed++ });
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): Item {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < a.length && this.before(a[l], a[best])) best = l;
        if (r < a.length && this.before(a[r], a[best])) best = r;
        if (best === i) break;
        [a[i], a[best]] = [a[best], a[i]];
        i = best;
      }
    }
    return top.item;
  }

  private before(x: { item: Item; order: number }, y: { item: Item; order: number }): boolean {
    return x.item.probability > y.item.probability || (x.item.probability === y.item.probability && x.order < y.order);
  }
}

/** The K largest entries of `probs` renormalised (all of them when K ≥ V or K is 0). */
export function topKRenormalised(probs: ArrayLike<number>, k: number): Float64Array {
  const out = Float64Array.from(probs);
  if (!(k > 0) || k >= out.length) return out;
  const order = Array.from(out.keys()).sort((a, b) => out[b] - out[a] || a - b);
  let kept = 0;
  for (let r = 0; r < order.length; r++) {
    if (r < k) kept += out[order[r]];
    else out[order[r]] = 0;
  }
  if (kept > 0) for (let j = 0; j < out.length; j++) out[j] /= kept;
  return out;
}

/**
 * The `limit` most likely answers. `next(prefix)` is the next-token
 * distribution after `prefix` (at the temperature wanted).
 */
export function answerDistribution(
  next: (prefix: readonly number[]) => ArrayLike<number>,
  maxLen: number,
  options: { limit: number; topK?: number },
): AnswerDistribution {
  const heap = new Heap();
  heap.push({ prefix: [], probability: 1, complete: false });
  const answers: AnswerProbability[] = [];
  let covered = 0;
  while (heap.size > 0 && answers.length < options.limit) {
    const item = heap.pop();
    if (item.complete) {
      answers.push({ tokens: item.prefix, probability: item.probability });
      covered += item.probability;
      continue;
    }
    const q = topKRenormalised(next(item.prefix), options.topK ?? 0);
    for (let j = 0; j < q.length; j++) {
      if (!(q[j] > 0)) continue;
      const prefix = [...item.prefix, j];
      // EOS ends the answer; at max_len the sampler stops whatever the token.
      const complete = j === EOS || prefix.length >= maxLen;
      heap.push({ prefix, probability: item.probability * q[j], complete });
    }
  }
  return { answers, covered };
}
