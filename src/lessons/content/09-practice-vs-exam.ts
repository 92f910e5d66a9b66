import type { ConfigInput } from '../../engine/config.ts';
import type { Lesson } from '../types.ts';

/** The small transformer the neural lessons share (one base serves them all): 1 layer × d_model 32, 128 held-out prompts. */
export const SMALL_NET = {
  task: 'add',
  seed: 0,
  policy: { kind: 'transformer', layers: 1, d_model: 32, heads: 4 },
  eval_prompts: 128,
  eval_steps: 25,
} satisfies ConfigInput;

/** SFT and RFT recipes of the learning targets (tests/learning), shortened; every optimizer field given, as measured. */
export const SFT_RECIPE = { batch_prompts: 64, num_generations: 2, optimizer: { learning_rate: 3e-3, lr_scheduler_type: 'linear', warmup_steps: 0, adam_beta2: 0.999 } } satisfies ConfigInput;
export const RFT_RECIPE = { batch_prompts: 16, num_generations: 8, optimizer: { learning_rate: 1e-3, warmup_steps: 20, lr_scheduler_type: 'linear', adam_beta2: 0.98 } } satisfies ConfigInput;

/** RFT from the base with the exact-match grader; lesson 10 runs it beside noisy SFT. */
export const RFT_FROM_BASE = { ...SMALL_NET, ...RFT_RECIPE, steps: 250 } satisfies ConfigInput;

export const practiceVsExam: Lesson = {
  id: 'practice-vs-exam',
  number: 9,
  title: 'Practice vs the exam',
  summary: 'Train on some prompts, test on others: a table learns only what it practised, a transformer learns the rule.',
  steps: [
    {
      heading: 'Held-out prompts',
      body:
        'So far every lane was scored on the prompts it trains on. Here some prompts are **held out**: never trained on, only tested, ' +
        'before the first step and every `eval_steps` steps. `reward` is the practice score; `eval_reward` is the exam.',
    },
    {
      heading: 'A table cannot transfer',
      afterRuns: ['table'],
      body:
        'A table keeps one row of probabilities per prompt, and a step moves only the rows it trains on. Practice climbs to nearly 1; ' +
        'the held-out score stays where it started, near 1 in 121 (a uniform guess of one digit, then the end). The SFT and RFT lanes ' +
        'even print the same held-out numbers, step for step: those rows never changed.',
    },
    {
      heading: 'A transformer shares what it learns',
      afterRuns: ['transformer'],
      body:
        'The transformer computes every answer with one set of weights, pretrained into a base on sums neither trained on nor held out. ' +
        'When SFT makes it better at its training sums, it gets better at the held-out ones too: it learns addition, not a list of answers.',
    },
    {
      heading: 'Sampled or greedy',
      afterRuns: ['transformer'],
      body:
        '`eval_reward` samples each answer at the run\'s temperature, as training does; `eval_reward_greedy` takes the likeliest one. ' +
        'The base ranks the right sum first more often than it samples it: probability left on wrong answers costs samples, not the ' +
        'greedy pick. Training sharpens the model and the gap closes.',
    },
    {
      heading: 'RFT transfers too',
      afterRuns: ['rft-from-base'],
      body:
        'RFT has no answers to copy, only a grader for its own samples. From a base already right about half the time, its held-out ' +
        'reward rises as well, more slowly than SFT\'s with clean demonstrations.',
    },
  ],
  predictions: [
    {
      question: 'The table practises 16 sums until it gets them right. What happens to its score on 16 sums it never practised?',
      choices: ['It rises too, more slowly', 'It stays where it started', 'It falls'],
      shownByRun: 1,
      lookFor: 'The table\'s eval_reward line stays flat near 0 while reward climbs.',
      runs: ['table'],
    },
    {
      question: 'The transformer is trained by SFT on other sums. Its held-out reward…',
      choices: ['…rises with practice', '…stays flat', '…falls'],
      shownByRun: 0,
      lookFor: 'eval_reward climbs from the base\'s level, close behind the practice reward.',
      runs: ['transformer'],
    },
  ],
  runs: [
    { id: 'table', label: 'Table: 16 sums trained, 16 held out', config: { task: 'add', seed: 0, steps: 200, eval_prompts: 16, eval_steps: 10 }, lanes: ['sft', 'rft'] },
    { id: 'transformer', label: 'Transformer: SFT, 128 sums held out', config: { ...SMALL_NET, ...SFT_RECIPE, steps: 500 }, lanes: ['sft'] },
    { id: 'rft-from-base', label: 'Transformer: RFT from the base', config: RFT_FROM_BASE, lanes: ['rft'] },
  ],
  claims: [
    {
      step: 1,
      statement: 'The table learns the sums it practises.',
      kind: 'at-least',
      of: { run: 'table', lane: 'sft', metric: 'reward', window: 20 },
      value: 0.9,
    },
    {
      step: 1,
      statement: 'Its held-out reward stays at its start, near 1 in 121.',
      kind: 'approx',
      of: { run: 'table', lane: 'sft', metric: 'eval_reward', window: 5 },
      value: 1 / 121,
      tolerance: 0.03,
    },
    {
      step: 2,
      statement: 'The transformer\'s held-out reward rises by more than 0.3 under SFT.',
      kind: 'greater',
      of: { run: 'transformer', lane: 'sft', metric: 'eval_reward', window: 3 },
      than: { run: 'transformer', lane: 'sft', metric: 'eval_reward', window: 1, at: 'start' },
      margin: 0.3,
    },
    {
      step: 3,
      statement: 'At the start, greedy answers are right more often than sampled ones.',
      kind: 'greater',
      of: { run: 'transformer', lane: 'sft', metric: 'eval_reward_greedy', window: 1, at: 'start' },
      than: { run: 'transformer', lane: 'sft', metric: 'eval_reward', window: 1, at: 'start' },
      margin: 0.1,
    },
    {
      step: 4,
      statement: 'RFT from the base raises the held-out reward too.',
      kind: 'greater',
      of: { run: 'rft-from-base', lane: 'rft', metric: 'eval_reward', window: 3 },
      than: { run: 'rft-from-base', lane: 'rft', metric: 'eval_reward', window: 1, at: 'start' },
      margin: 0.05,
    },
  ],
  teacherNotes: [
    'The table works on single-digit sums (55 prompts), the transformer on operands 0–49 (2,500): what matters is prompts outside training, not difficulty.',
    'Held-out lines have a point every eval_steps steps (and at step 0), from 2 samples per held-out prompt: expect ±0.03 of noise. This is TRL\'s eval_dataset and eval_steps.',
    'Ask why a table is still useful: it shows each prompt\'s probabilities exactly, which is why lessons 1–8 use one.',
  ],
  quiz: [
    {
      id: 'why-table-flat',
      question: 'Why does the table\'s held-out reward never move?',
      choices: [
        { text: 'The held-out sums are harder than the trained ones.', correct: false, feedback: 'They are drawn at random from the same pool as the trained ones.' },
        { text: 'Training moves only the rows of the prompts it trains on.', correct: true, feedback: 'Right: a held-out prompt\'s row gets no gradient, so it stays uniform.' },
        { text: 'Its learning rate is too small to reach those rows.', correct: false, feedback: 'No learning rate moves a row that gets no gradient at all.' },
      ],
    },
    {
      id: 'what-transfers',
      question: 'What lets the transformer improve on sums it never trained on?',
      choices: [
        { text: 'It memorises the held-out answers from its evaluations.', correct: false, feedback: 'Evaluations only read the model: no gradient flows from them.' },
        { text: 'It trains on the held-out sums too, only less often.', correct: false, feedback: 'Held-out prompts are never trained on, nor in the base\'s corpus.' },
        { text: 'One set of weights computes all answers, so a fix helps all.', correct: true, feedback: 'Yes: what makes 23+45 right also works on 24+45.' },
      ],
    },
    {
      id: 'greedy-gap',
      question: 'Held-out greedy accuracy is 0.69, sampled 0.49. What does that say?',
      choices: [
        { text: 'It often ranks the right sum first but leaves mass on wrong ones.', correct: true, feedback: 'Right: greedy takes the top answer; a sample pays for every wrong one.' },
        { text: 'The grader is more lenient with greedy answers than samples.', correct: false, feedback: 'One grader, exact match, scores both the same way.' },
        { text: 'Greedy decoding is shown the reference answer; sampling is not.', correct: false, feedback: 'Neither sees the reference; only the grader does.' },
      ],
    },
  ],
};
