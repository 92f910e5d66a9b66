/**
 * Read-only views of a policy for the page: the log-probability of a whole
 * answer (DPO implicit rewards) and the most likely answer (shown beside an
 * SFT demonstration), through the policy kind's read-outs.
 */
import { readouts } from '../engine/policies/index.ts';
import type { PolicyShape } from '../engine/policy.ts';
import type { Vocabulary } from '../engine/task.ts';

/** log π(answer | prompt) at temperature 1, EOS included when the answer is shorter than max_len. */
export function answerLogProb(params: Float32Array, shape: PolicyShape, prompt: number, answer: string, vocab: Vocabulary): number {
  const tokens = new Int32Array(shape.maxLen);
  const length = vocab.encodeInto(answer, shape.maxLen, tokens, 0);
  return readouts({ shape, params, ref: params }).sequenceLogProb('policy', prompt, tokens.subarray(0, length));
}

/** Greedy decoding: the likeliest token at each position until EOS or max_len. */
export function greedyAnswer(params: Float32Array, shape: PolicyShape, prompt: number, vocab: Vocabulary): string {
  return readouts({ shape, params, ref: params })
    .greedyAnswer(prompt)
    .map((t) => vocab.label(t))
    .join('');
}
