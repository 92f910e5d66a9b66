/**
 * Read-only views of a policy table for the page: the log-probability of a
 * whole answer (DPO implicit rewards) and the most likely answer (shown beside
 * an SFT demonstration). Plain TypeScript over the engine's row layout.
 */
import { type PolicyShape, rowIndex, softmaxRow } from '../engine/policy.ts';
import { EOS, type Vocabulary } from '../engine/task.ts';

/** log π(answer | prompt) at temperature 1, EOS included when the answer is shorter than max_len. */
export function answerLogProb(logits: Float32Array, shape: PolicyShape, prompt: number, answer: string, vocab: Vocabulary): number {
  const tokens = new Int32Array(shape.maxLen);
  const length = vocab.encodeInto(answer, shape.maxLen, tokens, 0);
  const probs = new Float64Array(shape.vocab);
  let total = 0;
  let prev = EOS;
  for (let t = 0; t < length; t++) {
    softmaxRow(logits, rowIndex(shape, prompt, t, prev), shape.vocab, 1, probs, 0);
    total += Math.log(probs[tokens[t]]);
    prev = tokens[t];
  }
  return total;
}

/** Greedy decoding: the likeliest token at each position until EOS or max_len. */
export function greedyAnswer(logits: Float32Array, shape: PolicyShape, prompt: number, vocab: Vocabulary): string {
  const probs = new Float64Array(shape.vocab);
  let prev = EOS;
  let text = '';
  for (let t = 0; t < shape.maxLen; t++) {
    softmaxRow(logits, rowIndex(shape, prompt, t, prev), shape.vocab, 1, probs, 0);
    let best = 0;
    for (let j = 1; j < shape.vocab; j++) if (probs[j] > probs[best]) best = j;
    if (best === EOS) break;
    text += vocab.label(best);
    prev = best;
  }
  return text;
}
