import type { Lesson } from '../types.ts';

export const noisyDemonstrations: Lesson = {
  id: 'noisy-demonstrations',
  number: 6,
  title: 'Noisy demonstrations',
  summary: 'When 30 % of the worked examples are wrong, SFT copies the mistakes; RFT with a correct grader does not.',
  steps: [
    {
      heading: 'Imperfect teachers',
      body:
        'Real demonstrations contain mistakes: a tired annotator, a copy-paste slip, an outdated answer. Here 30 % of the `add` task\'s ' +
        'demonstrations are replaced by plausible wrong answers (off by one, or an operand copied).',
    },
    {
      heading: 'Two lanes, one flawed dataset',
      body:
        'The SFT lane trains on those demonstrations. The RFT lane never sees them: it trains on prompts and the exact-match grader, ' +
        'which is correct. Both are measured by the same grader on samples.',
    },
    {
      heading: 'What SFT does with mistakes',
      afterRuns: ['thirty-percent-wrong'],
      body:
        'SFT makes each demonstrated answer more likely in proportion to how often it is shown. With 70 % of demonstrations right, it ' +
        'ends up right about 70 % of the time: it has learned the mistakes as faithfully as the rest.',
    },
    {
      heading: 'What RFT does instead',
      afterRuns: ['thirty-percent-wrong'],
      body:
        'RFT\'s signal comes from the grader, so the error rate of the demonstrations is irrelevant to it: it goes to nearly 100 %. ' +
        'The price is that RFT needs the grader to be right (lesson 4 shows what happens when it is not).',
    },
  ],
  predictions: [
    {
      question: 'With 30 % wrong demonstrations, where will the SFT lane\'s reward settle?',
      choices: ['Near 100 %: it averages the mistakes away', 'Near 70 %', 'Near 30 %'],
      shownByRun: 1,
      lookFor: 'The SFT reward line flattens around 0.7, one minus the error rate.',
    },
    {
      question: 'And the RFT lane, trained on a correct grader?',
      choices: ['Also near 70 %', 'Near 100 %', 'Lower than SFT'],
      shownByRun: 1,
      lookFor: 'The RFT reward line reaches about 1.',
    },
  ],
  runs: [
    {
      id: 'thirty-percent-wrong',
      label: 'add with 30 % wrong demonstrations',
      config: { task: 'add', seed: 0, steps: 300, demo_error_rate: 0.3 },
      lanes: ['sft', 'rft'],
    },
  ],
  claims: [
    {
      step: 2,
      statement: 'SFT copies the error rate: its reward settles near 1 − 0.3 = 0.7.',
      kind: 'approx',
      of: { run: 'thirty-percent-wrong', lane: 'sft', metric: 'reward', window: 50 },
      value: 0.7,
      tolerance: 0.08,
    },
    {
      step: 3,
      statement: 'RFT with a correct grader ignores the flawed demonstrations and is right at least 95 % of the time.',
      kind: 'at-least',
      of: { run: 'thirty-percent-wrong', lane: 'rft', metric: 'reward', window: 20 },
      value: 0.95,
    },
  ],
  teacherNotes: [
    'Change demo_error_rate live (0, 0.1, 0.5) and ask the class to predict the SFT plateau each time: it tracks 1 − rate.',
    'SFT samples its answers at temperature 1, so a policy that puts 70 % of its probability on the right sum is right 70 % of the time. Greedy decoding would hide the mistakes on a single prompt but not the lesson.',
    'The comparison is not "RFT is better". RFT needed a correct grader; SFT needed none. Ask which is easier to get for a task the class cares about.',
  ],
  quiz: [
    {
      id: 'sft-plateau',
      question: 'A quarter of the demonstrations are wrong. About how often will an SFT-trained model be right when sampling?',
      choices: [
        {
          text: 'About 75 % of the time, since it imitates its data.',
          correct: true,
          feedback: 'Right: SFT reproduces the distribution it is shown, errors included.',
        },
        {
          text: 'About 100 %, since the wrong answers cancel out.',
          correct: false,
          feedback: 'They do not cancel: each wrong demonstration makes its own wrong answer more likely.',
        },
        {
          text: 'About 25 % of the time, since errors get amplified.',
          correct: false,
          feedback: 'That would be the error rate itself; the model is right as often as the demonstrations are.',
        },
      ],
    },
    {
      id: 'why-rft-immune',
      question: 'Why is the RFT lane unaffected by the wrong demonstrations?',
      choices: [
        {
          text: 'It detects the wrong demonstrations and deletes them first.',
          correct: false,
          feedback: 'It never looks at them at all.',
        },
        {
          text: 'It learns from its own graded samples, not from demonstrations.',
          correct: true,
          feedback: 'Yes: its data is its own attempts, and its teacher is the grader.',
        },
        {
          text: 'It trains for more steps than SFT, so the errors wash out.',
          correct: false,
          feedback: 'Both lanes train for the same number of steps.',
        },
      ],
    },
    {
      id: 'rft-weak-point',
      question: 'What would make the RFT lane fail in the same way?',
      choices: [
        {
          text: 'A grader that is wrong 30 % of the time, or can be gamed.',
          correct: true,
          feedback: 'Right: RFT is only as good as its grader, as lesson 4 shows.',
        },
        {
          text: 'A smaller batch of prompts per step, with fewer samples.',
          correct: false,
          feedback: 'A smaller batch makes learning noisier and slower, but does not teach wrong answers.',
        },
        {
          text: 'Many more wrong demonstrations mixed into the data set.',
          correct: false,
          feedback: 'The RFT lane does not read demonstrations, however many are wrong.',
        },
      ],
    },
  ],
};
