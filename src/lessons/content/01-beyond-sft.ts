import type { Lesson } from '../types.ts';

export const beyondSft: Lesson = {
  id: 'beyond-sft',
  number: 1,
  title: 'Beyond SFT',
  summary: 'Imitating answers versus learning from a grader: the same task, two ways to teach it.',
  steps: [
    {
      heading: 'Two teachers',
      body:
        'Imagine teaching someone to write words backwards. One teacher shows worked examples: "abc" is written "cba", copy that. ' +
        'Another teacher never shows an answer; they only look at each attempt and say *right* or *wrong*.\n\n' +
        'The first teacher is **supervised fine-tuning (SFT)**. The second is **reinforcement fine-tuning (RFT)**.',
    },
    {
      heading: 'What SFT learns from',
      body:
        'SFT is given demonstrations: a prompt and the answer someone wrote for it. Each step it makes the demonstrated characters ' +
        'more likely, one position at a time. It never looks at its own attempts, and it cannot do better than its examples: ' +
        'it learns to *imitate*.',
    },
    {
      heading: 'What RFT learns from',
      body:
        'RFT is given prompts and a **grader**: a small program that scores an answer. Each step the model writes several answers ' +
        'of its own, the grader scores them, and answers that scored above their group become more likely. The policy never ' +
        'sees a demonstration; it finds its own way to answers the grader likes.',
    },
    {
      heading: 'Run them side by side',
      body:
        'Both lanes start from the same untrained model on the `reverse` task. Watch the **reward** chart (the share of answers the ' +
        'grader accepts; SFT and DPO lanes are measured on samples they do not train on) and the **samples** panel.',
    },
    {
      heading: 'What just happened',
      afterRuns: ['side-by-side'],
      body:
        'SFT climbs at once: every step hands it the right characters. RFT starts near zero, because a random 4-letter answer is right ' +
        'about once in a thousand tries; once a few attempts score, the grader\'s signal compounds and RFT catches up. ' +
        'Both end up right almost every time. The difference is what they needed: SFT needed someone to write the answers; ' +
        'RFT needed only a way to check them.',
    },
  ],
  predictions: [
    {
      question: 'Which lane will have the higher reward after the first 20 steps?',
      choices: ['SFT', 'RFT', 'About the same'],
      shownByRun: 0,
      lookFor: 'The first part of the reward chart: SFT rises immediately, RFT waits until it has stumbled on right answers.',
    },
    {
      question: 'After 300 steps, will RFT, which never saw an answer, be right as often as SFT?',
      choices: ['Yes, both near 100 %', 'No, RFT stays well below SFT', 'No, RFT stays at zero'],
      shownByRun: 0,
      lookFor: 'The end of the reward chart: both lanes are close to 1.',
    },
  ],
  runs: [
    {
      id: 'side-by-side',
      label: 'SFT and RFT on reverse',
      config: { task: 'reverse', seed: 0, steps: 300 },
      lanes: ['sft', 'rft'],
    },
  ],
  claims: [
    {
      step: 4,
      statement: 'SFT imitates its demonstrations: it predicts their characters almost perfectly.',
      kind: 'at-least',
      of: { run: 'side-by-side', lane: 'sft', metric: 'mean_token_accuracy', window: 20 },
      value: 0.99,
    },
    {
      step: 4,
      statement: 'RFT, trained only on grader scores, ends up right almost every time.',
      kind: 'at-least',
      of: { run: 'side-by-side', lane: 'rft', metric: 'reward', window: 20 },
      value: 0.95,
    },
    {
      step: 4,
      statement: 'Imitation gets a head start: early on, SFT is right more often than RFT.',
      kind: 'greater',
      of: { run: 'side-by-side', lane: 'sft', metric: 'reward', window: 20, at: 'start' },
      than: { run: 'side-by-side', lane: 'rft', metric: 'reward', window: 20, at: 'start' },
      margin: 0.05,
    },
  ],
  teacherNotes: [
    'Ask the class first what each teacher needs from a person: worked answers (SFT) versus a way to check an answer (RFT).',
    'Pause at step 20 and point at the RFT samples: mostly wrong, but the few right ones are what it learns from.',
    'The grader of reverse happens to compare with a reference answer, but the RFT policy never trains on that reference; a grader could equally check "is it the prompt backwards" with no reference stored at all.',
    'Common misconception: "RFT needs less data". It needs different data: prompts and a trustworthy grader instead of written answers.',
  ],
  quiz: [
    {
      id: 'what-sets-rft-apart',
      question: 'What sets reinforcement fine-tuning apart from supervised fine-tuning?',
      choices: [
        {
          text: 'It learns from a grader\'s scores of its own answers.',
          correct: true,
          feedback: 'Right. SFT copies demonstrations; RFT samples its own answers and makes the well-scored ones more likely.',
        },
        {
          text: 'It needs many times more training examples than SFT does.',
          correct: false,
          feedback: 'Not what defines it. In the run, RFT saw the same prompts; what changed is the signal (a score instead of an answer).',
        },
        {
          text: 'It is always cheaper to run, because it needs no labels.',
          correct: false,
          feedback: 'Usually the opposite: RFT samples many answers per prompt and grades each, so a step costs more than an SFT step.',
        },
        {
          text: 'It only works with one particular kind of language model.',
          correct: false,
          feedback: 'The method is model-agnostic: any policy that can sample answers and change their probabilities can be trained by RFT.',
        },
      ],
    },
    {
      id: 'why-rft-starts-slow',
      question: 'Why does the RFT lane start near zero reward while SFT climbs at once?',
      choices: [
        {
          text: 'Its learning rate is set lower, so each of its steps is smaller.',
          correct: false,
          feedback: 'Both lanes use the same optimizer settings. The difference is where the signal comes from.',
        },
        {
          text: 'It learns from its own attempts, and at first almost none is right.',
          correct: true,
          feedback: 'Yes. A random answer is rarely right; until some attempts score, most groups give no signal at all.',
        },
        {
          text: 'The grader only starts scoring answers after a warm-up phase.',
          correct: false,
          feedback: 'The grader scores every step the same way; it simply has little to reward while the model guesses.',
        },
      ],
    },
    {
      id: 'sft-ceiling',
      question: 'Half of your demonstrations contain a typo. What will SFT learn?',
      choices: [
        {
          text: 'To avoid the typos, because it understands what the task is.',
          correct: false,
          feedback: 'SFT has no notion of right and wrong beyond the demonstrations: it makes whatever it is shown more likely.',
        },
        {
          text: 'To reproduce the typos about as often as they appear.',
          correct: true,
          feedback: 'Right: SFT imitates. Lesson 6 measures exactly this.',
        },
        {
          text: 'Nothing at all; SFT refuses to train on inconsistent data.',
          correct: false,
          feedback: 'It trains happily; the inconsistency just becomes part of what it imitates.',
        },
      ],
    },
  ],
};
