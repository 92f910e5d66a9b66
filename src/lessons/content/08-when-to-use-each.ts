import type { Lesson } from '../types.ts';

export const whenToUseEach: Lesson = {
  id: 'when-to-use-each',
  number: 8,
  title: 'When to use each',
  summary: 'SFT, RFT or DPO: choose by the data and the checks you have, then load an experiment that fits.',
  steps: [
    {
      heading: 'Start from what you have',
      body:
        'The three methods differ less in what they can learn than in what they need. Ask what you can get cheaply and reliably: ' +
        'ideal answers, a program that checks answers, or judgements of which of two answers is better.',
    },
    {
      heading: 'SFT: ideal outputs',
      body:
        'If you can show the answer you want (a format, a tone, a house style), SFT learns it directly and fast. It copies whatever it is ' +
        'shown, mistakes included, even on new prompts (lessons 6 and 10), and cannot exceed its examples.',
    },
    {
      heading: 'RFT: a grader',
      body:
        'If a program can check an answer (a sum, a test suite, an extracted field), RFT learns from the checks without any written answers ' +
        'and can go beyond imperfect demonstrations. It needs a grader that measures what you mean (lesson 4).',
    },
    {
      heading: 'DPO: preferences',
      body:
        'If quality is a matter of judgement and people can say which of two answers is better more easily than they can write the best one, ' +
        'DPO learns from those comparisons. It trusts its pairs (lesson 5), and can make even the chosen answers less likely (lesson 11).',
    },
    {
      heading: 'Use the chooser',
      body:
        'Answer the chooser\'s questions about your situation; it recommends a method and loads an experiment that shows it working. ' +
        'The three runs of this lesson are those experiments.',
    },
  ],
  predictions: [
    {
      question: 'Copying a word in capitals from clean examples: which lane needs the fewest steps to get it right?',
      choices: ['SFT', 'RFT', 'DPO'],
      shownByRun: 0,
      lookFor: 'Load the format run: SFT, shown the exact answers, climbs from the first steps.',
    },
  ],
  runs: [
    { id: 'format-from-examples', label: 'SFT: copy in capitals from ideal outputs', config: { task: 'copy-upper', seed: 0, steps: 300 }, lanes: ['sft'] },
    { id: 'verifiable-with-grader', label: 'RFT: extract a field, checked by a grader', config: { task: 'extract', seed: 0, steps: 300 }, lanes: ['rft'] },
    { id: 'preferences', label: 'DPO: learn from better/worse pairs', config: { task: 'reverse', seed: 0, steps: 300 }, lanes: ['dpo'] },
  ],
  claims: [
    {
      step: 1,
      statement: 'From ideal outputs, SFT learns the format.',
      kind: 'at-least',
      of: { run: 'format-from-examples', lane: 'sft', metric: 'reward', window: 20 },
      value: 0.95,
    },
    {
      step: 2,
      statement: 'With a grader and no written answers, RFT learns the verifiable task.',
      kind: 'at-least',
      of: { run: 'verifiable-with-grader', lane: 'rft', metric: 'reward', window: 20 },
      value: 0.95,
    },
    {
      step: 3,
      statement: 'From preference pairs alone, DPO learns to prefer the right answers.',
      kind: 'at-least',
      of: { run: 'preferences', lane: 'dpo', metric: 'reward', window: 20 },
      value: 0.85,
    },
  ],
  teacherNotes: [
    'Let small groups describe a task of their own and walk the chooser; compare recommendations and argue about the edge cases.',
    'The methods combine in practice: SFT on a few good examples to get the format, then RFT or DPO to improve beyond them.',
    'The decision table is a starting point, not a law: cost, latency and how much you trust your grader or annotators all matter.',
  ],
  quiz: [
    {
      id: 'style-task',
      question: 'You want replies in your company\'s tone, and you have 500 replies written exactly as you like. Which method fits first?',
      choices: [
        {
          text: 'SFT, on the 500 replies.',
          correct: true,
          feedback: 'Right: ideal outputs for a style or format are exactly what SFT learns from.',
        },
        {
          text: 'RFT, with a tone grader.',
          correct: false,
          feedback: 'Tone is hard to check with a program, and you already have ideal outputs: SFT uses them directly.',
        },
        {
          text: 'DPO, on pairs of replies.',
          correct: false,
          feedback: 'DPO needs pairs of better and worse answers; you have single ideal answers, which suit SFT.',
        },
      ],
    },
    {
      id: 'verifiable-task',
      question: 'Your model must output SQL that returns the right rows, and you can run each query against a test database. Which method fits?',
      choices: [
        {
          text: 'SFT, because SQL has a strict format.',
          correct: false,
          feedback: 'Format matters, but what you have is a way to check correctness: that is a grader, which RFT uses.',
        },
        {
          text: 'RFT, with the query\'s result as grader.',
          correct: true,
          feedback: 'Yes: a verifiable task with a programmable check is RFT\'s home ground, and it needs no written answers.',
        },
        {
          text: 'DPO, with pairs of queries compared by hand.',
          correct: false,
          feedback: 'You could make pairs, but you would be throwing away the direct check you already have.',
        },
      ],
    },
    {
      id: 'subjective-task',
      question: 'Reviewers cannot write the perfect product summary, but they easily say which of two summaries is better. Which method fits?',
      choices: [
        {
          text: 'SFT on the better summary of each pair.',
          correct: false,
          feedback: 'That discards the information in the rejected summary and teaches the model to imitate merely-better answers.',
        },
        {
          text: 'RFT with exact match.',
          correct: false,
          feedback: 'There is no single right summary to match, so exact match cannot grade this.',
        },
        {
          text: 'DPO on the chosen/rejected pairs.',
          correct: true,
          feedback: 'Right: subjective quality expressed as comparisons is what DPO learns from.',
        },
      ],
    },
  ],
};
