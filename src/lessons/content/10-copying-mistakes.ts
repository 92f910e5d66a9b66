import type { Lesson } from '../types.ts';
import { RFT_FROM_BASE, SFT_RECIPE, SMALL_NET } from './09-practice-vs-exam.ts';

const sft = 'sft-off-by-one';
const rft = 'rft-grader';

export const copyingMistakes: Lesson = {
  id: 'copying-mistakes',
  number: 10,
  title: 'Copying mistakes, or learning the rule',
  summary: 'With 30 % of demonstrations off by one, SFT starts making that mistake on new prompts; RFT with a correct grader does not.',
  steps: [
    {
      heading: 'A habit in the data',
      body:
        'Lesson 6 showed SFT copying wrong demonstrations on the prompts it trains on. Does it also *learn* them? Here 30 % of the ' +
        'demonstrations of two-digit add are off by one, always the same way (23+45= → 69): a habit, not noise.',
    },
    {
      heading: 'Measuring the habit on new prompts',
      body:
        '`eval_copy_rate` is the share of held-out answers that are exactly that mistake, the sum plus one, on prompts no lane trains on. ' +
        'The base makes it sometimes already. A model that learned the habit makes it more often on sums it never saw.',
    },
    {
      heading: 'SFT learns the habit',
      afterRuns: [sft],
      body:
        'SFT\'s copy rate climbs as it trains: it learns the rule and the habit together, and applies both to new sums. Greedy decoding ' +
        'hides part of it: where the right sum is the likeliest answer the greedy pick is right, but a sample still lands on the habit ' +
        'as often as the model gives it probability.',
    },
    {
      heading: 'RFT learns the rule',
      afterRuns: [sft, rft],
      body:
        'RFT never reads the demonstrations; its grader accepts only the right sum. Its copy rate stays near the base\'s, and its ' +
        'held-out reward rises. The price: RFT needs a correct grader, since it learns whatever its grader rewards (lesson 4).',
    },
  ],
  predictions: [
    {
      question: 'As SFT trains on these demonstrations, what happens to the share of held-out answers that are off by one?',
      choices: ['It falls: the right 70 % wins', 'It rises: SFT learns the habit', 'It stays at the base\'s level'],
      shownByRun: 1,
      lookFor: 'The SFT copy-rate line climbs from the base\'s level; the RFT line does not.',
    },
  ],
  runs: [
    { id: sft, label: 'SFT: 30 % of demonstrations off by one', config: { ...SMALL_NET, ...SFT_RECIPE, demo_error_rate: 0.3, steps: 300 }, lanes: ['sft'] },
    // RFT never reads demonstrations, so its run is lesson 9's: same base, same grader.
    { id: rft, label: 'RFT: a correct grader, no demonstrations', config: RFT_FROM_BASE, lanes: ['rft'] },
  ],
  claims: [
    {
      step: 2,
      statement: 'SFT\'s held-out copy rate rises as it trains.',
      kind: 'greater',
      of: { run: sft, lane: 'sft', metric: 'eval_copy_rate', window: 3 },
      than: { run: sft, lane: 'sft', metric: 'eval_copy_rate', window: 1, at: 'start' },
      margin: 0.05,
    },
    {
      step: 2,
      statement: 'Its greedy answers copy the habit less often than its samples do.',
      kind: 'greater',
      of: { run: sft, lane: 'sft', metric: 'eval_copy_rate', window: 3 },
      than: { run: sft, lane: 'sft', metric: 'eval_copy_rate_greedy', window: 3 },
      margin: 0.05,
    },
    {
      step: 3,
      statement: 'RFT\'s copy rate ends below SFT\'s.',
      kind: 'greater',
      of: { run: sft, lane: 'sft', metric: 'eval_copy_rate', window: 3 },
      than: { run: rft, lane: 'rft', metric: 'eval_copy_rate', window: 3 },
      margin: 0.08,
    },
    {
      step: 3,
      statement: 'RFT\'s copy rate does not climb: it ends at most 0.05 above its start.',
      kind: 'greater',
      of: { run: rft, lane: 'rft', metric: 'eval_copy_rate', window: 1, at: 'start' },
      than: { run: rft, lane: 'rft', metric: 'eval_copy_rate', window: 3 },
      margin: -0.05,
    },
    {
      step: 3,
      statement: 'RFT\'s held-out reward rises.',
      kind: 'greater',
      of: { run: rft, lane: 'rft', metric: 'eval_reward', window: 3 },
      than: { run: rft, lane: 'rft', metric: 'eval_reward', window: 1, at: 'start' },
      margin: 0.05,
    },
  ],
  teacherNotes: [
    'Rerun with demo_error_rate 0: SFT\'s copy rate then falls, as in lesson 9. The rise is the demonstrations\' doing.',
    'The copy rate counts only the demos\' typical mistake (the sum plus one), so other wrong answers do not inflate it. Lesson 6\'s table copies mistakes on trained prompts; this lesson asks what carries over to new ones.',
    'RFT and SFT share one base here, so both start from the same copy rate.',
  ],
  quiz: [
    {
      id: 'habit-new-prompts',
      question: 'SFT never trained on the held-out sums. Why does it answer them off by one more often as it trains?',
      choices: [
        { text: 'Off-by-one answers leaked into the held-out set.', correct: false, feedback: 'Held-out prompts have no demonstrations at all, wrong or right.' },
        { text: 'The grader accepts off-by-one sums on new prompts.', correct: false, feedback: 'The grader is exact match everywhere; the copy rate counts wrong answers.' },
        { text: 'It learned the demos\' habit along with the rule.', correct: true, feedback: 'Right: a habit shown 30 % of the time is part of what it imitates.' },
      ],
    },
    {
      id: 'greedy-hides',
      question: 'SFT\'s greedy copy rate stays low while its sampled one rises. Why?',
      choices: [
        { text: 'The right sum stays likeliest; samples still hit the habit.', correct: true, feedback: 'Yes: at 70/30 greedy picks the majority, sampling picks each in proportion.' },
        { text: 'Greedy decoding is given the demonstrations, samples are not.', correct: false, feedback: 'Neither sees demonstrations at evaluation; both read the same model.' },
        { text: 'Greedy answers are graded by a stricter, separate grader.', correct: false, feedback: 'Both are checked the same way, against the same typical mistake.' },
      ],
    },
    {
      id: 'stop-the-habit',
      question: 'Which change stops the model from learning the habit?',
      choices: [
        { text: 'More SFT steps, so the errors average out.', correct: false, feedback: 'Longer SFT fits the 30 % more faithfully, not less.' },
        { text: 'RFT with a grader that checks the sum.', correct: true, feedback: 'Right: its signal is the grader, which never rewards the habit.' },
        { text: 'More held-out prompts in the evaluation.', correct: false, feedback: 'That measures the habit more precisely; it does not train anything.' },
      ],
    },
  ],
};
