/** `--dump-policy`: the final policy as probabilities per prompt and position (JSON). */
import { positionMarginals, type PolicyState } from './policy.ts';
import { Vocabulary, type Task } from './task.ts';

export function policyDump(state: PolicyState, task: Task) {
  const vocab = new Vocabulary(task.alphabet);
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    task: task.id,
    kind: state.shape.kind,
    max_len: state.shape.maxLen,
    tokens: Array.from({ length: state.shape.vocab }, (_, t) => (t === 0 ? '<EOS>' : vocab.label(t))),
    prompts: task.items.map((item, p) => ({
      prompt: item.prompt,
      // positions[t][token]: probability of emitting `token` at position t (given the answer got that far)
      positions: positionMarginals(state.logits, state.shape, p).map((row) => Array.from(row, round)),
    })),
  };
}
