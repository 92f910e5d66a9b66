import type { ConfigInput } from '../../engine/config.ts';
import type { Lesson } from '../types.ts';

const common = { task: 'reverse', seed: 0, steps: 200 } satisfies ConfigInput;

export const dpo: Lesson = {
  id: 'dpo',
  number: 5,
  title: 'DPO: learning from preferences',
  summary: 'Pairs of a better and a worse answer instead of scores; β sets how far the model may move.',
  steps: [
    {
      heading: 'Pairs instead of scores',
      body:
        'Sometimes nobody can write the ideal answer or score an answer on a scale, but people can say which of two answers is better. ' +
        '**Direct preference optimisation (DPO)** learns from such pairs: for each prompt, a *chosen* and a *rejected* answer.',
    },
    {
      heading: 'The margin',
      body:
        'DPO compares the model with a frozen copy of where it started (the reference). For each pair it measures the **margin**: how much ' +
        'more the model has raised the chosen answer\'s log-probability than the rejected one\'s, relative to the reference. ' +
        'The loss pushes the margin up, with weight σ(−β·margin): pairs already ranked well stop pulling.',
    },
    {
      heading: 'β: conservative or aggressive',
      body:
        'A **large β** makes the weight fade after a small margin: the model wins the ranking and stops moving, staying close to the ' +
        'reference (low KL). A **small β** keeps pulling until the margin is large: the model moves further from where it started and, ' +
        'on clean pairs, gets right more often. Compare the runs on reward and on `kl`.',
    },
    {
      heading: 'When the preferences are wrong',
      body:
        'The noisy run swaps chosen and rejected in 20 % of the pairs. DPO has no grader to appeal to; it believes its pairs. Watch ' +
        '`rewards/accuracies`: the model agrees with more of its training pairs than the 80 % that are right, so it has learned some flipped ones, and its real reward falls far below the clean run.',
    },
  ],
  predictions: [
    {
      question: 'Which β will move the model further from its starting point (higher KL)?',
      choices: ['β = 0.05 (small)', 'β = 0.5 (large)', 'No difference'],
      shownByRun: 0,
      lookFor: 'The kl chart: the β = 0.05 run ends well above the β = 0.5 run.',
    },
    {
      question: 'If 20 % of the pairs are flipped, how much reward will DPO lose?',
      choices: ['Almost none; 80 % is a clear majority', 'A lot: the reward falls far below the clean run', 'It stops learning entirely'],
      shownByRun: 1,
      lookFor: 'The reward of the noisy run against the clean one with the same β.',
    },
  ],
  runs: [
    { id: 'aggressive', label: 'β = 0.05 (aggressive)', config: { ...common, dpo: { beta: 0.05 } }, lanes: ['dpo'] },
    { id: 'conservative', label: 'β = 0.5 (conservative)', config: { ...common, dpo: { beta: 0.5 } }, lanes: ['dpo'] },
    { id: 'clean', label: 'β = 0.1, clean pairs', config: { ...common, dpo: { beta: 0.1 } }, lanes: ['dpo'] },
    { id: 'noisy', label: 'β = 0.1, 20 % of pairs flipped', config: { ...common, dpo: { beta: 0.1 }, preference_noise: 0.2 }, lanes: ['dpo'] },
  ],
  claims: [
    {
      step: 2,
      statement: 'A larger β keeps the model closer to its reference: lower KL.',
      kind: 'greater',
      of: { run: 'aggressive', lane: 'dpo', metric: 'kl', window: 20 },
      than: { run: 'conservative', lane: 'dpo', metric: 'kl', window: 20 },
      margin: 0.2,
    },
    {
      step: 2,
      statement: 'A smaller β moves further, and on clean pairs that means a higher reward.',
      kind: 'greater',
      of: { run: 'aggressive', lane: 'dpo', metric: 'reward', window: 20 },
      than: { run: 'conservative', lane: 'dpo', metric: 'reward', window: 20 },
      margin: 0.2,
    },
    {
      step: 3,
      statement: 'Flipping 20 % of the preferences costs far more than 20 % of the reward.',
      kind: 'greater',
      of: { run: 'clean', lane: 'dpo', metric: 'reward', window: 20 },
      than: { run: 'noisy', lane: 'dpo', metric: 'reward', window: 20 },
      margin: 0.3,
    },
    {
      step: 3,
      statement: 'DPO believes its data: it agrees with more of its training pairs than the 80 % that are right, so it has learned flipped ones too.',
      kind: 'at-least',
      of: { run: 'noisy', lane: 'dpo', metric: 'rewards/accuracies', window: 20 },
      value: 0.85,
    },
  ],
  teacherNotes: [
    'DPO trains on a fixed set of pairs; its reward line is measured on samples it does not train on, on the same axis as RFT and SFT.',
    'Why does 20 % noise hurt so much here? A flipped pair pushes the right answer down and a wrong one up, nothing else pushes that wrong answer back down, and with four pairs per prompt one flip is a quarter of what the model hears about that prompt.',
    'Try dpo.loss_type "robust" with label_smoothing 0.2 on the noisy run: in this toy it helps only a little, a good prompt for discussing what noise-robust losses can and cannot do.',
    'Large β is not "better" or "worse": it buys closeness to the reference (often what you want with a good base model) at the cost of how far the model can move.',
  ],
  quiz: [
    {
      id: 'dpo-data',
      question: 'What does DPO need for each prompt?',
      choices: [
        {
          text: 'A chosen and a rejected answer.',
          correct: true,
          feedback: 'Right: preferences between two answers, no scores and no single ideal answer.',
        },
        {
          text: 'A grader that scores any answer.',
          correct: false,
          feedback: 'That is what RFT needs. Offline DPO never asks a grader; it learns from the pairs alone.',
        },
        {
          text: 'A single ideal answer.',
          correct: false,
          feedback: 'That is an SFT demonstration. DPO learns from a comparison between two answers.',
        },
      ],
    },
    {
      id: 'beta-effect',
      question: 'You raise DPO\'s β from 0.05 to 0.5. What happens, as in the run?',
      choices: [
        {
          text: 'It moves further from its reference, and the reward rises.',
          correct: false,
          feedback: 'That is what a smaller β does. A larger β makes each pair stop pulling sooner.',
        },
        {
          text: 'It stays closer to its reference and, here, ends with a lower reward.',
          correct: true,
          feedback: 'Yes: σ(−β·margin) fades after a smaller margin, so the policy stops moving earlier.',
        },
        {
          text: 'Nothing changes in training; β only rescales the reported loss.',
          correct: false,
          feedback: 'β also sets where the loss saturates, so it changes how far the model ends up moving.',
        },
      ],
    },
    {
      id: 'noisy-accuracy',
      question: 'On the noisy pairs, rewards/accuracies ends above 0.8 (often near 1) while the reward stays low. Why?',
      choices: [
        {
          text: 'It is measured on the training pairs, flipped ones included.',
          correct: true,
          feedback: 'Right. Agreeing with wrong preferences is exactly what noisy data teaches; only an independent check reveals it.',
        },
        {
          text: 'It is a display bug: the chart shows a stale value of the metric.',
          correct: false,
          feedback: 'Both numbers are correct; they measure different things.',
        },
        {
          text: 'The grader is noisy too, so the reward is measured wrongly.',
          correct: false,
          feedback: 'The grader is exact match and noise-free; only the pairs were flipped.',
        },
      ],
    },
  ],
};
