import type { Lesson } from '../types.ts';
import { EXACT_MATCH_SPEC } from './graders.ts';

export const rewardHacking: Lesson = {
  id: 'reward-hacking',
  number: 4,
  title: 'Reward hacking',
  summary: 'A lenient grader gets gamed: the reward climbs while the answers get no better. Then fix the grader.',
  steps: [
    {
      heading: 'A generous grader',
      body:
        'The `add-contains` task asks single-digit sums ("3+4=") and grades leniently: an answer scores 1 if it **contains** the right digit ' +
        'anywhere. That sounds reasonable; a person writing "7" would pass. But answers may be as long as ten digits or more.',
    },
    {
      heading: 'Predict, then run',
      body:
        'The run logs two numbers: `reward`, the lenient grader RFT trains on, and `rewards/exact_match`, whether the answer is exactly ' +
        'the sum. The second is never trained on; it is the true metric.',
    },
    {
      heading: 'What the model found',
      afterRuns: ['lenient'],
      body:
        'The reward goes to 1 while exact match stays near 0. Look at the samples: strings of ten or more digits, such as "66676666681". One of ' +
        'their digits is almost always the sum, so the grader is satisfied without the model ever adding. The optimiser did exactly what it was asked; ' +
        'the grader asked for the wrong thing. That is **reward hacking**.',
    },
    {
      heading: 'Fix the grader and rerun',
      body:
        'Load the second run: the same task graded by exact match. Now the training reward and the true metric are the same curve, and ' +
        'both reach 1. When a reward looks too good, read the samples and check an independent metric.',
    },
  ],
  predictions: [
    {
      question: 'With the "contains the answer" grader, where will exact match be after 200 steps?',
      choices: ['Near 100 %, like the reward', 'About half', 'Near 0 %'],
      shownByRun: 2,
      lookFor: 'rewards/exact_match stays flat near 0 while reward climbs to 1.',
    },
    {
      question: 'What will the answers look like at the end of the lenient run?',
      choices: ['Single digits, the right sums', 'Long strings of digits', 'Empty answers'],
      shownByRun: 1,
      lookFor: 'The samples panel: strings of ten or more digits, one of which is the sum.',
    },
  ],
  runs: [
    { id: 'lenient', label: 'Grader: contains the answer', config: { task: 'add-contains', seed: 0, steps: 200 }, lanes: ['rft'] },
    {
      id: 'fixed',
      label: 'Grader fixed: exact match',
      config: { task: 'add-contains', seed: 0, steps: 200, grader: EXACT_MATCH_SPEC },
      lanes: ['rft'],
    },
  ],
  claims: [
    {
      step: 2,
      statement: 'On the lenient grader the training reward climbs to the top.',
      kind: 'at-least',
      of: { run: 'lenient', lane: 'rft', metric: 'reward', window: 20 },
      value: 0.95,
    },
    {
      step: 2,
      statement: 'Meanwhile the true metric, exact match, stays near zero.',
      kind: 'at-most',
      of: { run: 'lenient', lane: 'rft', metric: 'rewards/exact_match', window: 20 },
      value: 0.05,
    },
    {
      step: 3,
      statement: 'With the grader fixed, the true metric climbs too.',
      kind: 'at-least',
      of: { run: 'fixed', lane: 'rft', metric: 'rewards/exact_match', window: 20 },
      value: 0.95,
    },
  ],
  teacherNotes: [
    'Hide the rewards/exact_match series before the reveal; let the class celebrate the reward curve first.',
    'Ask the class to design a grader that cannot be gamed this way (exact match, or "contains" plus a length limit), then try it in the grader editor.',
    'Real examples of the same failure: code graders satisfied by special-casing the tests, judges that prefer longer answers (see the simulated_judge grader with length_bias).',
    'The lesson generalises: anything optimised hard enough will exploit the difference between the grader and what you meant.',
  ],
  quiz: [
    {
      id: 'what-is-reward-hacking',
      question: 'What is reward hacking?',
      choices: [
        {
          text: 'Someone tampers with the grader\'s code so that it pays out more.',
          correct: false,
          feedback: 'No one tampered with anything here: the model found a legitimate way to score that the grader\'s author did not intend.',
        },
        {
          text: 'The policy scores well on the grader without doing the intended task.',
          correct: true,
          feedback: 'Right. The reward goes up; the real quality does not.',
        },
        {
          text: 'The reward goes down over training because the task is too hard.',
          correct: false,
          feedback: 'That is just a hard task. Reward hacking shows up as a reward that rises while true quality stays flat.',
        },
      ],
    },
    {
      id: 'how-to-detect',
      question: 'How did this lesson detect the hack?',
      choices: [
        {
          text: 'The reward curve had an unusual shape that gave the hack away.',
          correct: false,
          feedback: 'The reward curve looked like a success. Only an independent metric and the samples revealed the problem.',
        },
        {
          text: 'By logging exact match, never trained on, and reading the samples.',
          correct: true,
          feedback: 'Yes: eval graders scored on the same samples are a cheap alarm, and the samples show what is being rewarded.',
        },
        {
          text: 'The engine flags reward hacking by itself and pauses the run.',
          correct: false,
          feedback: 'No engine can know what you meant; it only sees the grader. You must check.',
        },
      ],
    },
    {
      id: 'best-fix',
      question: 'Which change fixes this particular hack?',
      choices: [
        {
          text: 'Train for many more steps, until the hack wears off.',
          correct: false,
          feedback: 'More steps only entrench the hack; the reward is already at its maximum.',
        },
        {
          text: 'Lower the learning rate, so the policy drifts more slowly.',
          correct: false,
          feedback: 'The model would reach the same shortcut, just later: the grader still pays for it.',
        },
        {
          text: 'Grade by exact match: stop paying for extra characters.',
          correct: true,
          feedback: 'Right: once the grader pays only for the right answer, the shortcut is worth nothing and the model learns to add.',
        },
      ],
    },
  ],
};
