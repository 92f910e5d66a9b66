import type { ConfigInput } from '../../engine/config.ts';
import type { Lesson } from '../types.ts';
import { SMALL_NET } from './09-practice-vs-exam.ts';

/** The DPO recipe of the learning targets (tests/learning/dpo.learn.ts), shortened. */
const DPO_RECIPE = { ...SMALL_NET, steps: 300, batch_prompts: 64, num_generations: 2, optimizer: { learning_rate: 1e-3, warmup_steps: 20, adam_beta2: 0.98, lr_scheduler_type: 'constant' } } satisfies ConfigInput;

const small = 'beta-0.1';
const large = 'beta-1';
const table = 'table';

export const preferredLessLikely: Lesson = {
  id: 'preferred-less-likely',
  number: 11,
  title: 'When the preferred answer becomes less likely',
  summary: 'DPO can widen its margin while the chosen answers lose probability; a table cannot, a transformer can.',
  steps: [
    {
      heading: 'What DPO pushes',
      body:
        'DPO\'s loss sees only the margin: how much more the chosen answer\'s log-probability rose than the rejected one\'s, against ' +
        'the reference. Nothing in it says the chosen answer must become *more* likely: both may fall, if the rejected one falls faster. ' +
        '`logps/chosen` is the chosen answers\' mean log-probability. Each pair is the right sum against a near miss (23+45: 68 against 69, 67, 78 or 58).',
    },
    {
      heading: 'β = 0.1 on two-digit add',
      afterRuns: [small],
      body:
        'The margin climbs while `logps/chosen` falls: the model makes its preferred answers less likely, and the greedy answer on ' +
        'held-out sums gets worse. Rejected answers fall faster still, so the probability goes to other answers. This is ' +
        '**likelihood displacement**.',
    },
    {
      heading: 'Why: shared weights',
      afterRuns: [table],
      body:
        'In a table each (prompt, position) is its own softmax row, shared with no other prompt. For a row both answers use, the ' +
        'margin\'s gradient on its logits is e₊ − e₋: up for the chosen token, down for the rejected one, nothing else. So π(chosen) ' +
        'can only rise, as the table run shows. In the ' +
        'transformer every weight serves every token of every answer: pushing a near miss down drags down what it shares with the ' +
        'chosen answer.',
    },
    {
      heading: 'A larger β',
      afterRuns: [large],
      body:
        'At β = 1 each pair stops pulling after a smaller change and the model moves less: `logps/chosen` stays near its start ' +
        'and the held-out reward rises. Watch `logps/chosen`, not only the margin: a margin that grows while it falls is a warning.',
    },
  ],
  predictions: [
    {
      question: 'DPO at β = 0.1 widens the margin between chosen and rejected answers. What happens to the chosen answers\' probability?',
      choices: ['It rises: they are preferred', 'It falls', 'It stays the same'],
      shownByRun: 1,
      lookFor: 'logps/chosen slopes down while rewards/margins climbs.',
      runs: [small],
    },
    {
      question: 'DPO on a table policy (one-digit sums, the same kind of pairs). Can logps/chosen fall there?',
      choices: ['Yes, just as in the transformer', 'No, it can only rise'],
      shownByRun: 1,
      lookFor: 'The table\'s logps/chosen climbs from log(1/121) ≈ −4.8 towards 0.',
      runs: [table],
    },
  ],
  runs: [
    { id: small, label: 'Transformer, β = 0.1', config: { ...DPO_RECIPE, dpo: { beta: 0.1 } }, lanes: ['dpo'] },
    { id: table, label: 'Table, β = 0.1', config: { task: 'add', seed: 0, steps: 200, dpo: { beta: 0.1 } }, lanes: ['dpo'] },
    { id: large, label: 'Transformer, β = 1', config: { ...DPO_RECIPE, dpo: { beta: 1 } }, lanes: ['dpo'] },
  ],
  claims: [
    {
      step: 1,
      statement: 'At β = 0.1 the margin rises…',
      kind: 'greater',
      of: { run: small, lane: 'dpo', metric: 'rewards/margins', window: 20 },
      than: { run: small, lane: 'dpo', metric: 'rewards/margins', window: 20, at: 'start' },
      margin: 0.2,
    },
    {
      step: 1,
      statement: '…while the chosen answers\' log-probability falls…',
      kind: 'greater',
      of: { run: small, lane: 'dpo', metric: 'logps/chosen', window: 20, at: 'start' },
      than: { run: small, lane: 'dpo', metric: 'logps/chosen', window: 20 },
      margin: 0.25,
    },
    {
      step: 1,
      statement: '…and the greedy held-out reward falls.',
      kind: 'greater',
      of: { run: small, lane: 'dpo', metric: 'eval_reward_greedy', window: 1, at: 'start' },
      than: { run: small, lane: 'dpo', metric: 'eval_reward_greedy', window: 3 },
      margin: 0.1,
    },
    {
      step: 2,
      statement: 'In the table the chosen answers gain probability, from log(1/121) towards 0.',
      kind: 'greater',
      of: { run: table, lane: 'dpo', metric: 'logps/chosen', window: 20 },
      than: { run: table, lane: 'dpo', metric: 'logps/chosen', window: 20, at: 'start' },
      margin: 2,
    },
    {
      step: 3,
      statement: 'At β = 1 logps/chosen ends at most a quarter of a nat below its start…',
      kind: 'greater',
      of: { run: large, lane: 'dpo', metric: 'logps/chosen', window: 20 },
      than: { run: large, lane: 'dpo', metric: 'logps/chosen', window: 20, at: 'start' },
      margin: -0.25,
    },
    {
      step: 3,
      statement: '…the chosen answers keep more probability than at β = 0.1…',
      kind: 'greater',
      of: { run: large, lane: 'dpo', metric: 'logps/chosen', window: 20 },
      than: { run: small, lane: 'dpo', metric: 'logps/chosen', window: 20 },
      margin: 0.5,
    },
    {
      step: 3,
      statement: '…and the held-out reward rises.',
      kind: 'greater',
      of: { run: large, lane: 'dpo', metric: 'eval_reward', window: 3 },
      than: { run: large, lane: 'dpo', metric: 'eval_reward', window: 1, at: 'start' },
      margin: 0.05,
    },
  ],
  teacherNotes: [
    'Likelihood displacement: Razin et al. 2024, "Unintentional Unalignment: Likelihood Displacement in Direct Preference Optimization" (arXiv 2410.08847). They trace it to pairs whose two answers the model represents alike (a high CHES score); near misses like 68 vs 69 are the kind to suspect.',
    'The remedies in use: a larger β, an SFT term on the chosen answers (RPO), or dropping pairs whose answers are too alike.',
    'rewards/accuracies near 1 and a rising margin say only that the pairs are ranked; the held-out reward is the independent check.',
  ],
  quiz: [
    {
      id: 'margin-vs-chosen',
      question: 'The margin rises and logps/chosen falls. How can both be true?',
      choices: [
        { text: 'The rejected answers fall faster than the chosen ones.', correct: true, feedback: 'Right: the margin is a difference; both terms can fall.' },
        { text: 'The margin is computed on different prompts each step.', correct: false, feedback: 'Both are measured on the same pairs of each step.' },
        { text: 'logps/chosen is logged before the update, the margin after.', correct: false, feedback: 'Both come from the same forward pass of the same step.' },
      ],
    },
    {
      id: 'why-table-safe',
      question: 'Why can\'t the chosen answer lose probability in the table?',
      choices: [
        { text: 'Its learning rate is too small for probabilities to fall.', correct: false, feedback: 'Probabilities fall fast in a table: the rejected ones do.' },
        { text: 'Each row is its own softmax: chosen up, rejected down.', correct: true, feedback: 'Yes: for one row the gradient is e₊ − e₋, and no weight is shared.' },
        { text: 'A table has no reference model for DPO to compare with.', correct: false, feedback: 'It has one: its own starting table, as the transformer has its base.' },
      ],
    },
    {
      id: 'what-to-watch',
      question: 'A DPO run shows rewards/accuracies near 1. What should you check next?',
      choices: [
        { text: 'Nothing: the pairs are learned, so the model is better.', correct: false, feedback: 'Ranking pairs right is compatible with making the chosen answers less likely.' },
        { text: 'Whether the loss is exactly zero at the end of training.', correct: false, feedback: 'DPO\'s loss never reaches 0 and says nothing about the chosen answers themselves.' },
        { text: 'logps/chosen and a held-out reward: did good answers gain?', correct: true, feedback: 'Right: only those show whether the preferred answers became likelier.' },
      ],
    },
  ],
};
