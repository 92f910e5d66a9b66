/**
 * Lesson 8's decision table and the interactive chooser built on it: a few
 * questions about the learner's situation lead to a method and an experiment
 * to load. Plain data plus one pure function, so the page can render it as
 * radio groups and a test can walk every path.
 */
import type { Objective } from '../engine/config.ts';
import type { LessonId } from './types.ts';

/** One row of the decision table, as the lesson shows it. */
export interface DecisionRow {
  method: Objective;
  useWhen: string;
  dataNeeded: string;
  signal: string;
  watchOutFor: string;
}

export const DECISION_TABLE: readonly DecisionRow[] = [
  {
    method: 'sft',
    useWhen: 'Format, tone or style that you can show by example.',
    dataNeeded: 'Prompts with ideal outputs.',
    signal: 'Make each demonstrated token more likely.',
    watchOutFor: 'It copies mistakes in the examples, on new prompts too, and cannot surpass them.',
  },
  {
    method: 'rft',
    useWhen: 'Verifiable tasks: a program can check whether an answer is right.',
    dataNeeded: 'Prompts and a grader; no written answers.',
    signal: 'Grader scores of the model\'s own samples, compared within a group.',
    watchOutFor: 'It optimises the grader, loopholes included; diversity can collapse.',
  },
  {
    method: 'dpo',
    useWhen: 'Subjective quality that people judge more easily than they write.',
    dataNeeded: 'Prompts with a chosen and a rejected answer.',
    signal: 'Raise the chosen answer relative to the rejected one, against a reference.',
    watchOutFor: 'It trusts its pairs; flipped preferences are learned too, and the chosen answers can lose probability.',
  },
];

/** Where a recommendation sends the learner: a run of a lesson. */
export interface ExperimentRef {
  lesson: LessonId;
  run: string;
}

export interface Recommendation {
  id: string;
  method: Objective;
  headline: string;
  why: string;
  experiment: ExperimentRef;
}

export interface ChooserOption {
  id: string;
  label: string;
  /** Exactly one of `next` (another question) or `recommend` (a recommendation id). */
  next?: string;
  recommend?: string;
}

export interface ChooserQuestion {
  id: string;
  text: string;
  options: readonly ChooserOption[];
}

export const CHOOSER_START = 'checkable';

export const CHOOSER_QUESTIONS: readonly ChooserQuestion[] = [
  {
    id: 'checkable',
    text: 'Can a program check whether an answer is right (compare a number, run a test, parse a field)?',
    options: [
      { id: 'yes', label: 'Yes, a program can check it', next: 'demos-quality' },
      { id: 'no', label: 'No, quality is a matter of judgement or style', next: 'what-data' },
    ],
  },
  {
    id: 'demos-quality',
    text: 'Do you also have written example answers, and how good are they?',
    options: [
      { id: 'none-or-flawed', label: 'None, or some of them are wrong', recommend: 'rft' },
      { id: 'clean', label: 'Yes, and they are reliable', recommend: 'sft-or-rft' },
    ],
  },
  {
    id: 'what-data',
    text: 'What can you collect most easily?',
    options: [
      { id: 'ideal-outputs', label: 'Examples of the ideal output', recommend: 'sft' },
      { id: 'comparisons', label: 'Judgements of which of two answers is better', recommend: 'dpo' },
    ],
  },
];

export const RECOMMENDATIONS: readonly Recommendation[] = [
  {
    id: 'rft',
    method: 'rft',
    headline: 'Use RFT with your check as the grader.',
    why: 'A reliable check is all RFT needs; flawed or missing examples do not hold it back.',
    experiment: { lesson: 'noisy-demonstrations', run: 'thirty-percent-wrong' },
  },
  {
    id: 'sft-or-rft',
    method: 'sft',
    headline: 'Start with SFT on your examples; add RFT to go beyond them.',
    why: 'Clean examples get SFT to a good model fastest, on prompts it never saw too; the grader lets RFT keep improving where examples run out.',
    experiment: { lesson: 'practice-vs-exam', run: 'transformer' },
  },
  {
    id: 'sft',
    method: 'sft',
    headline: 'Use SFT on the ideal outputs.',
    why: 'Format, tone and style are learned directly from examples that show them.',
    experiment: { lesson: 'when-to-use-each', run: 'format-from-examples' },
  },
  {
    id: 'dpo',
    method: 'dpo',
    headline: 'Use DPO on chosen/rejected pairs.',
    why: 'Comparisons capture judgement that no grader and no single ideal answer can express. Watch logps/chosen, not only the margin.',
    experiment: { lesson: 'preferred-less-likely', run: 'beta-1' },
  },
];

export type ChooserState =
  | { kind: 'question'; question: ChooserQuestion }
  | { kind: 'recommendation'; recommendation: Recommendation };

export class ChooserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChooserError';
  }
}

function question(id: string): ChooserQuestion {
  const q = CHOOSER_QUESTIONS.find((x) => x.id === id);
  if (!q) throw new ChooserError(`chooser: no question "${id}"`);
  return q;
}

function recommendation(id: string): Recommendation {
  const r = RECOMMENDATIONS.find((x) => x.id === id);
  if (!r) throw new ChooserError(`chooser: no recommendation "${id}"`);
  return r;
}

/**
 * Where the chooser stands after the given option ids, answered in order from
 * the start. An unknown option (e.g. from an old link) is reported with the
 * question it was meant for and the options that question has.
 */
export function resolveChooser(answers: readonly string[]): ChooserState {
  let q = question(CHOOSER_START);
  for (let i = 0; i < answers.length; i++) {
    const option = q.options.find((o) => o.id === answers[i]);
    if (!option) {
      throw new ChooserError(
        `chooser answer ${i + 1} = ${JSON.stringify(answers[i])} is not an option of "${q.text}" (options: ${q.options.map((o) => o.id).join(', ')})`,
      );
    }
    if (option.recommend !== undefined) {
      if (i !== answers.length - 1) throw new ChooserError(`chooser answer ${i + 1} already leads to a recommendation; ${answers.length - 1 - i} extra answer(s) given`);
      return { kind: 'recommendation', recommendation: recommendation(option.recommend) };
    }
    q = question(option.next ?? '');
  }
  return { kind: 'question', question: q };
}
