import type { ConfigInput } from '../../engine/config.ts';
import type { Lesson } from '../types.ts';
import { EXACT_MATCH_SPEC, EXACT_PLUS_CLOSE_RUBRIC, FUZZY_MATCH_SPEC } from './graders.ts';

/**
 * Fewer candidates per prompt than the default make exact match's signal sparse,
 * which is where partial credit matters. Rewards are not divided by the group's
 * std: with partial credit, tiny differences within a group would otherwise be
 * blown up into full-size pushes.
 */
const common = {
  task: 'reverse',
  seed: 0,
  steps: 300,
  num_generations: 8,
  rft: { scale_rewards: 'none' },
  eval_graders: { exact_match: EXACT_MATCH_SPEC },
} satisfies ConfigInput;

export const programmableGraders: Lesson = {
  id: 'programmable-graders',
  number: 3,
  title: 'Programmable graders',
  summary: 'Exact match, partial credit and a rubric on the same task: how the shape of the reward changes learning.',
  steps: [
    {
      heading: 'A grader is a program',
      body:
        'Anything that turns an answer into a number can be a grader: an exact comparison, a similarity score, a numeric tolerance, ' +
        'a regular expression, or a **rubric** that mixes several criteria with weights. The RFT loop does not change; only the scores do.',
    },
    {
      heading: 'Sparse and smooth rewards',
      body:
        'Exact match is **sparse**: "cbb" for "cba" scores 0, exactly like "aaa". Early on almost every group is all zeros and gives no ' +
        'signal. A **partial-credit** grader (here `fuzzy_match`, one minus the edit distance over the length) is **smooth**: "cbb" earns 2/3, ' +
        'so almost every group has a spread from the first step.',
    },
    {
      heading: 'Three runs, one yardstick',
      body:
        'The three runs train on different graders, so their training rewards are not comparable. Each run therefore also logs ' +
        '`rewards/exact_match`: exact match scored on the same samples but never trained on. Compare that curve across runs.',
    },
    {
      heading: 'What the curves show',
      afterRuns: ['exact', 'partial', 'rubric'],
      body:
        'The rubric (70 % exact, 30 % close) reaches half its answers exactly right much sooner than exact match alone: it has a signal ' +
        'from the first step. Partial credit on its own starts fast too, but in this run it settles on near misses such as "cabb" for ' +
        '"cab", which it pays 0.75 forever. Smooth rewards speed up the start; what they pay for decides where training ends.',
    },
    {
      heading: 'Where shaping leaves you: a local optimum',
      afterRuns: ['rubric-long', 'exact-long'],
      body:
        'Now run both graders for 1,000 steps on seed 1. Exact match gets there slowly but gets there: every prompt exactly right. ' +
        'The rubric got off to a flying start, then **froze**: one prompt answers a near miss (one like "cabb" for "cab" earns 0.3 × 0.75 = 0.225) ' +
        'every time, entropy is close to 0, so no group has any spread left and nothing moves it again. That is a **local optimum**: partial credit made ' +
        'the near miss good enough to reinforce, and collapse made it permanent.\n\n' +
        'Find the stuck prompt: click the prompts in *Task & data* and look at the RFT heatmap and samples; a stuck one shows a wrong answer at nearly 100 %. ' +
        'Measured over seeds 0–11 (1,000 steps): exact match ended with exact_match ≥ 0.998 on all 12; the rubric ended below 0.9 on 7 of 12, with 1 to 3 of the 8 prompts stuck.',
    },
  ],
  predictions: [
    {
      question: 'Which grader gives a learning signal in more groups during the first 20 steps?',
      choices: ['Exact match', 'Partial credit', 'Both the same'],
      shownByRun: 1,
      lookFor: 'frac_reward_zero_std at the start: high for exact match, near zero for partial credit.',
    },
    {
      question: 'Which run reaches 50 % exactly-right answers first?',
      choices: ['Exact match', 'The rubric', 'They tie'],
      shownByRun: 1,
      lookFor: 'The rewards/exact_match curves: the rubric crosses 0.5 long before exact match does.',
    },
  ],
  runs: [
    { id: 'exact', label: 'Exact match', config: { ...common, grader: EXACT_MATCH_SPEC }, lanes: ['rft'] },
    { id: 'partial', label: 'Partial credit (fuzzy match)', config: { ...common, grader: FUZZY_MATCH_SPEC }, lanes: ['rft'] },
    { id: 'rubric', label: 'Rubric: 0.7 exact + 0.3 close', config: { ...common, grader: EXACT_PLUS_CLOSE_RUBRIC }, lanes: ['rft'] },
    { id: 'rubric-long', label: 'Rubric, 1,000 steps (seed 1)', config: { ...common, seed: 1, steps: 1000, grader: EXACT_PLUS_CLOSE_RUBRIC }, lanes: ['rft'] },
    { id: 'exact-long', label: 'Exact match, 1,000 steps (seed 1)', config: { ...common, seed: 1, steps: 1000, grader: EXACT_MATCH_SPEC }, lanes: ['rft'] },
  ],
  claims: [
    {
      step: 1,
      statement: 'Partial credit gives a signal where exact match gives none: far fewer groups have all-equal scores at the start.',
      kind: 'greater',
      of: { run: 'exact', lane: 'rft', metric: 'frac_reward_zero_std', window: 20, at: 'start' },
      than: { run: 'partial', lane: 'rft', metric: 'frac_reward_zero_std', window: 20, at: 'start' },
      margin: 0.3,
    },
    {
      step: 3,
      statement: 'The smoother rubric reaches 50 % exactly-right answers sooner than exact match alone.',
      kind: 'reaches-sooner',
      first: { run: 'rubric', lane: 'rft', metric: 'rewards/exact_match' },
      second: { run: 'exact', lane: 'rft', metric: 'rewards/exact_match' },
      threshold: 0.5,
      window: 10,
    },
    {
      step: 4,
      statement: 'Shaping can trap: after 1,000 steps the rubric run still misses at least one prompt every time (exact_match ≤ 0.9), its entropy collapsed.',
      kind: 'at-most',
      of: { run: 'rubric-long', lane: 'rft', metric: 'rewards/exact_match', window: 20 },
      value: 0.9,
    },
    {
      step: 4,
      statement: 'The rubric run is frozen: its entropy at the end is below 0.05 nats.',
      kind: 'at-most',
      of: { run: 'rubric-long', lane: 'rft', metric: 'entropy', window: 20 },
      value: 0.05,
    },
    {
      step: 4,
      statement: 'Exact match alone, slower to start, gets every prompt right by step 1,000.',
      kind: 'at-least',
      of: { run: 'exact-long', lane: 'rft', metric: 'rewards/exact_match', window: 20 },
      value: 0.99,
    },
  ],
  teacherNotes: [
    'Before running, ask the class to score "cbb", "abc" and "cb" against "cba" by hand with each grader.',
    'The effect is about the start of training. Over seeds 0–8 the rubric crossed 50 % exact sooner than exact match in 8 of 9 (one tie, step 53 vs 52); partial credit alone is faster in some seeds and stalls on near misses in others. Where each run ends varies with the seed.',
    'scale_rewards is "none" here on purpose: dividing by a tiny group spread turns meaningless score differences into full-size updates. Try "group" and compare.',
    'Link to lesson 4: a smooth grader that is not what you want is also easier to exploit.',
    'The local optimum, measured with `npm run train` (this config, 1,000 steps, seeds 0–11): rubric exact_match at the end 0.998, 0.874, 1.000, 0.875, 0.625, 0.875, 0.999, 0.875, 1.000, 0.749, 0.998, 0.875 (7 of 12 below 0.9, entropy ≤ 0.021); exact match ≥ 0.998 on all 12. At step 100 the rubric was ahead on 9 of 12 seeds. Seed 1 is one of the stuck ones; another seed may reach 1.0.',
  ],
  quiz: [
    {
      id: 'sparse-reward',
      question: 'Why can an exact-match grader make RFT slow to start?',
      choices: [
        {
          text: 'Exact match is slow to compute for long answers, so steps take longer.',
          correct: false,
          feedback: 'It is the fastest grader there is. The problem is the information it gives, not its cost.',
        },
        {
          text: 'A group with no exactly right answer scores all 0 and teaches nothing.',
          correct: true,
          feedback: 'Right. A sparse reward leaves most early groups without any spread to learn from.',
        },
        {
          text: 'Exact match gives wrong answers a negative score, which pushes too hard.',
          correct: false,
          feedback: 'Wrong answers score 0; the problem is that near misses and nonsense score the same 0.',
        },
      ],
    },
    {
      id: 'partial-credit-risk',
      question: 'What can go wrong with a partial-credit grader used alone?',
      choices: [
        {
          text: 'Nothing; more credit for the model is always better for learning.',
          correct: false,
          feedback: 'The run shows partial credit alone can stall: a near miss earns steady credit and the model has little reason to leave it.',
        },
        {
          text: 'The model can settle on near misses that score well but are wrong.',
          correct: true,
          feedback: 'Yes. The grader defines the goal; if "almost right" scores 0.75 forever, that is what gets optimised.',
        },
        {
          text: 'It makes the model forget the letters it has already learned to write.',
          correct: false,
          feedback: 'The alphabet is fixed by the task; the risk is about which answers get rewarded.',
        },
      ],
    },
    {
      id: 'fair-comparison',
      question: 'Why compare the runs on rewards/exact_match rather than on each run\'s training reward?',
      choices: [
        {
          text: 'Rewards from different graders mean different things.',
          correct: true,
          feedback: 'Right. A fuzzy score of 0.8 and an exact score of 0.8 are not the same achievement; one shared yardstick makes the curves comparable.',
        },
        {
          text: 'The training reward is not logged for partial-credit graders.',
          correct: false,
          feedback: 'It is logged for every run; it just measures something different in each.',
        },
        {
          text: 'Exact match is the only grader the engine can trust.',
          correct: false,
          feedback: 'The engine trains on any grader; exact match is simply what we care about on this task.',
        },
      ],
    },
  ],
};
