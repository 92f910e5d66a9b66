import type { Lesson } from '../types.ts';

export const howRftWorks: Lesson = {
  id: 'how-rft-works',
  number: 2,
  title: 'How RFT works',
  summary: 'One update in slow motion: samples, grader scores, group-normalised advantages, and which probabilities move.',
  steps: [
    {
      heading: 'The ingredients',
      body:
        'RFT needs three things: **prompts** (no answers), a **grader** that turns an answer into a number, and a model that can ' +
        'sample. Here the grader is exact match on the `reverse` task: 1 if the answer is the prompt backwards, 0 otherwise.',
    },
    {
      heading: 'Step 1: sample a group per prompt',
      body:
        'For each prompt in the batch the model writes `num_generations` answers (32 here). The answers to one prompt form a **group**. ' +
        'Press *Step* once and open the samples panel: one group per prompt, each answer with its score.',
    },
    {
      heading: 'Step 2: compare within the group',
      body:
        'An answer\'s **advantage** is how much better it scored than its group: its score minus the group mean, divided by the ' +
        'group\'s spread (that is the "group-normalised" part of GRPO). A group where every answer scored the same gets advantage 0 ' +
        'everywhere: nothing in it is better or worse than anything else, so it teaches nothing.',
    },
    {
      heading: 'Step 3: the gradient anatomy',
      body:
        'Open the **gradient anatomy** view below and press **Take the next step slowly**: it takes one real step and walks through it ' +
        'stage by stage (Next / Back, or ← →). Each example gets a weight in the update:\n\n' +
        '- RFT: the sample\'s advantage. Positive pushes every token of that answer up, negative pushes them down.\n' +
        '- SFT: 1 for every token of every demonstration, right or wrong.\n' +
        '- DPO: σ(−β·margin) per pair. Pairs the model already ranks correctly by a wide margin barely count.\n\n' +
        'The last stage shows the heatmap after the step, with the cells that went up (▲) and down (▼) marked: the characters of ' +
        'high-advantage answers went up.',
    },
    {
      heading: 'Step 4: let it run',
      body:
        'Watch `frac_reward_zero_std`, the share of groups with no spread in their scores. At the start it is high (nobody in the group ' +
        'is right), then falls as some answers score, then rises again at the end (everybody is right). Learning happens in between, ' +
        'where groups disagree.',
    },
  ],
  predictions: [
    {
      question: 'In the first steps, what share of groups will give RFT no signal at all (every score equal)?',
      choices: ['Almost none', 'About half', 'Most of them'],
      shownByRun: 2,
      lookFor: 'frac_reward_zero_std over the first steps: most groups have every answer wrong, so every advantage is 0.',
    },
    {
      question: 'A group of four answers scores 1, 0, 0, 0. Which answers get pushed up?',
      choices: ['All four, a little', 'Only the one that scored 1; the other three are pushed down', 'None, the mean is too low'],
      shownByRun: 1,
      lookFor: 'In the gradient anatomy, the right answer has a positive advantage and the three wrong ones share a negative one.',
    },
  ],
  runs: [
    {
      id: 'slow-motion',
      label: 'RFT on reverse, step by step',
      config: { task: 'reverse', seed: 0, steps: 300, batch_prompts: 8, num_generations: 32 },
      lanes: ['rft'],
    },
  ],
  claims: [
    {
      step: 4,
      statement: 'At the start most groups give no signal: every answer in them scored the same.',
      kind: 'at-least',
      of: { run: 'slow-motion', lane: 'rft', metric: 'frac_reward_zero_std', window: 20, at: 'start' },
      value: 0.6,
    },
    {
      step: 4,
      statement: 'At the start, the model is almost never right.',
      kind: 'at-most',
      of: { run: 'slow-motion', lane: 'rft', metric: 'reward', window: 20, at: 'start' },
      value: 0.1,
    },
    {
      step: 4,
      statement: 'Reinforcing the few right answers compounds: by the end the model is right almost every time.',
      kind: 'at-least',
      of: { run: 'slow-motion', lane: 'rft', metric: 'reward', window: 20 },
      value: 0.95,
    },
  ],
  teacherNotes: [
    'Run this lesson paused and press Step a few times with the class before letting it run.',
    'Do the 1, 0, 0, 0 example on the board: mean 0.25, sample std 0.5, advantages +1.5 and −0.5 (three times). They sum to zero.',
    'The gradient anatomy numbers are computed with the same formulas as the engine (tested against hand computation).',
    'Ask why a group of 32 identical scores teaches nothing even if all 32 are right: there is nothing to prefer within it.',
  ],
  quiz: [
    {
      id: 'advantage-definition',
      question: 'In GRPO, what is a sample\'s advantage?',
      choices: [
        {
          text: 'Its grader score, used exactly as the grader returned it.',
          correct: false,
          feedback: 'Raw scores would push every answer up whenever scores are positive. The advantage compares the score with the group.',
        },
        {
          text: 'Its score minus its group\'s mean, divided by the group\'s std.',
          correct: true,
          feedback: 'Right: it says how much better than its siblings an answer did, on a common scale.',
        },
        {
          text: 'The probability the model gave to that answer when sampling it.',
          correct: false,
          feedback: 'That probability is what the update changes; the advantage decides in which direction and by how much.',
        },
      ],
    },
    {
      id: 'all-equal-group',
      question: 'Every answer in a group scored 1. What does that group contribute to the update?',
      choices: [
        {
          text: 'A strong push up for every answer in it.',
          correct: false,
          feedback: 'With group-normalised advantages, equal scores give advantage 0: nothing to prefer, nothing to push.',
        },
        {
          text: 'Nothing: every advantage in it is zero.',
          correct: true,
          feedback: 'Yes. This is why frac_reward_zero_std (groups with no spread) matters: such groups cost compute and teach nothing.',
        },
        {
          text: 'A push down, to keep the model humble.',
          correct: false,
          feedback: 'Nothing in GRPO pushes right answers down when they all agree; the KL leash (lesson 7) is a separate term.',
        },
      ],
    },
    {
      id: 'dpo-weight',
      question: 'In the gradient anatomy, a DPO pair shows weight 0.02. What does that mean?',
      choices: [
        {
          text: 'The pair is probably mislabelled, so the update skips most of it.',
          correct: false,
          feedback: 'The weight does not know about labels; it only reflects how the model currently ranks the pair.',
        },
        {
          text: 'The model already prefers the chosen answer by a wide margin.',
          correct: true,
          feedback: 'Right: σ(−β·margin) is small when the margin is large. DPO spends its effort on pairs it still gets wrong.',
        },
        {
          text: 'The pair makes up 2 % of the preference dataset it trains on.',
          correct: false,
          feedback: 'It is a per-pair weight in this step\'s update, not a share of the data.',
        },
      ],
    },
  ],
};
