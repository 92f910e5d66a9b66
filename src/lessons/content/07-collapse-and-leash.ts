import type { ConfigInput } from '../../engine/config.ts';
import type { Lesson } from '../types.ts';

const common = { task: 'palindrome', seed: 0, steps: 300 } satisfies ConfigInput;

export const collapseAndLeash: Lesson = {
  id: 'collapse-and-leash',
  number: 7,
  title: 'Collapse and the KL leash',
  summary: 'On an open-ended task RFT narrows to a favourite answer; a KL penalty or an entropy bonus keeps it broader.',
  steps: [
    {
      heading: 'Many right answers',
      body:
        'The `palindrome` task accepts any palindrome of 3–5 letters starting with a given letter: 15 right answers per prompt. ' +
        'The grader rewards them all equally.',
    },
    {
      heading: 'Collapse',
      body:
        'RFT makes whatever scored above its group more likely. Whichever right answer happens to be sampled more early gets pushed ' +
        'more, is sampled even more, and so on. **Entropy**, the spread of the model\'s choices, falls from about 1.1 to below 0.3: ' +
        'the reward is perfect, but the diversity is gone. Look at the samples: the same few answers over and over.',
    },
    {
      heading: 'The KL leash',
      body:
        'Setting `rft.beta` adds a penalty for moving away from the reference policy (the starting point), measured by KL divergence. ' +
        'The model can still learn, but every step away from its broad starting distribution costs something. Entropy stays higher, ' +
        'and so does some of the randomness that produces wrong answers: the leash has a price in reward.',
    },
    {
      heading: 'An entropy bonus',
      body:
        '`rft.entropy_coef` rewards spread directly. It keeps entropy above the unleashed run while the reward stays near 1 on this task.',
    },
    {
      heading: 'What clip-higher does not do',
      body:
        '`epsilon_high` (DAPO\'s clip-higher) loosens the upper clip of the probability ratio so rare tokens can grow faster. But the clip ' +
        'only acts when the model takes several passes over the same samples (`num_iterations` > 1). With one pass the ratio is exactly 1 ' +
        'and the clip never binds: `clip_ratio` stays at 0 and the run is identical to the unleashed one.',
    },
  ],
  predictions: [
    {
      question: 'Without a leash, what will happen to entropy while the reward climbs to 1?',
      choices: ['It stays high: every palindrome is equally rewarded', 'It falls: the model settles on a few favourites', 'It rises'],
      shownByRun: 1,
      lookFor: 'The entropy chart of the no-leash run falls steadily.',
    },
    {
      question: 'With rft.beta = 0.1, will the reward still reach 1?',
      choices: ['Yes, exactly as before', 'Slightly less: the leash keeps some randomness', 'No, it stays at the start'],
      shownByRun: 1,
      lookFor: 'The KL-leash run ends a little below 1 in reward, with higher entropy and lower kl.',
    },
    {
      question: 'With only epsilon_high raised (one pass per batch), what changes?',
      choices: ['Entropy stays much higher', 'Nothing: the clip never binds with one pass', 'Training diverges'],
      shownByRun: 1,
      lookFor: 'clip_ratio stays at 0 and the curves match the no-leash run.',
    },
  ],
  runs: [
    { id: 'no-leash', label: 'No leash', config: common, lanes: ['rft'] },
    { id: 'kl-leash', label: 'KL leash: rft.beta = 0.1', config: { ...common, rft: { beta: 0.1 } }, lanes: ['rft'] },
    { id: 'entropy-bonus', label: 'Entropy bonus: rft.entropy_coef = 0.2', config: { ...common, rft: { entropy_coef: 0.2 } }, lanes: ['rft'] },
    { id: 'clip-higher', label: 'Clip-higher alone: epsilon_high = 0.28', config: { ...common, rft: { epsilon_high: 0.28 } }, lanes: ['rft'] },
  ],
  claims: [
    {
      step: 1,
      statement: 'Without a leash entropy collapses: it ends far below where it started.',
      kind: 'greater',
      of: { run: 'no-leash', lane: 'rft', metric: 'entropy', window: 20, at: 'start' },
      than: { run: 'no-leash', lane: 'rft', metric: 'entropy', window: 20 },
      margin: 0.6,
    },
    {
      step: 1,
      statement: 'The collapsed model is still always right: the reward cannot see the lost diversity.',
      kind: 'at-least',
      of: { run: 'no-leash', lane: 'rft', metric: 'reward', window: 20 },
      value: 0.95,
    },
    {
      step: 2,
      statement: 'The KL leash keeps entropy higher.',
      kind: 'greater',
      of: { run: 'kl-leash', lane: 'rft', metric: 'entropy', window: 20 },
      than: { run: 'no-leash', lane: 'rft', metric: 'entropy', window: 20 },
      margin: 0.1,
    },
    {
      step: 2,
      statement: 'The KL leash keeps the model closer to its reference.',
      kind: 'greater',
      of: { run: 'no-leash', lane: 'rft', metric: 'kl', window: 20 },
      than: { run: 'kl-leash', lane: 'rft', metric: 'kl', window: 20 },
      margin: 0.1,
    },
    {
      step: 3,
      statement: 'An entropy bonus also keeps entropy higher.',
      kind: 'greater',
      of: { run: 'entropy-bonus', lane: 'rft', metric: 'entropy', window: 20 },
      than: { run: 'no-leash', lane: 'rft', metric: 'entropy', window: 20 },
      margin: 0.05,
    },
    {
      step: 4,
      statement: 'With one pass per batch, clip-higher never acts: the clip never binds.',
      kind: 'at-most',
      of: { run: 'clip-higher', lane: 'rft', metric: 'clip_ratio', window: 300 },
      value: 0,
    },
  ],
  teacherNotes: [
    'Entropy here is the mean entropy of the policy over the positions its samples visit; with 4 tokens (a, b, c, end) the maximum is ln 4 ≈ 1.39.',
    'Open the samples panel of the no-leash run near the end and count distinct answers per prompt with the class.',
    'The leash is a trade: the KL-leash run ends with reward ≈ 0.92 instead of 1. Ask whether diversity is worth that on this task, and on a creative-writing task.',
    'If students try num_iterations 4 with and without epsilon_high: in this toy the effect on entropy is small and varies with the seed. Clip-higher is a tool for large models with many rare tokens; the lesson is to check, not to assume.',
  ],
  quiz: [
    {
      id: 'why-collapse',
      question: 'Every palindrome earns the same reward. Why does RFT still settle on a few?',
      choices: [
        {
          text: 'Answers sampled more often get reinforced more often: it snowballs.',
          correct: true,
          feedback: 'Right: a rich-get-richer loop. Equal reward per answer does not mean equal total push.',
        },
        {
          text: 'The grader secretly gives short palindromes a slightly higher score.',
          correct: false,
          feedback: 'The grader gives every accepted palindrome exactly 1.',
        },
        {
          text: 'The model runs out of room in its table to store more answers.',
          correct: false,
          feedback: 'Capacity is not the issue: the starting policy already spreads probability over all of them.',
        },
      ],
    },
    {
      id: 'what-beta-does',
      question: 'What does rft.beta add to the RFT loss?',
      choices: [
        {
          text: 'A bonus for longer answers, so that they keep their variety.',
          correct: false,
          feedback: 'Length plays no role in the KL term.',
        },
        {
          text: 'A KL penalty for drifting from the reference policy.',
          correct: true,
          feedback: 'Yes. The starting policy is broad, so staying near it keeps choices spread out.',
        },
        {
          text: 'A higher learning rate for the prompts the model gets wrong.',
          correct: false,
          feedback: 'beta weights a penalty term; the optimizer settings are unchanged.',
        },
      ],
    },
    {
      id: 'clip-higher-one-pass',
      question: 'Why did raising epsilon_high change nothing in this lesson\'s run?',
      choices: [
        {
          text: 'epsilon_high only has an effect on the WebGPU backend.',
          correct: false,
          feedback: 'Both backends compute the same clipped objective.',
        },
        {
          text: 'With one pass per batch the ratio is 1, so the clip never binds.',
          correct: true,
          feedback: 'Right: the clip compares the new policy with the one that sampled. It only matters when num_iterations > 1.',
        },
        {
          text: 'The value 0.28 is too close to 0.2 to make a visible difference.',
          correct: false,
          feedback: 'Any value would do nothing here; clip_ratio is 0 throughout.',
        },
      ],
    },
  ],
};
