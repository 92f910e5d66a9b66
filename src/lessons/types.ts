/**
 * The shape of a lesson, as plain data: the page renders it, the tests run its
 * preset and check its claims, a teacher's link names it by id. Nothing here
 * knows about the DOM or Svelte, so lessons can be loaded in a worker, a test
 * or the headless trainer alike.
 */
import type { ConfigInput, Objective } from '../engine/config.ts';

/** Lesson ids are short and URL-safe: they travel in teacher links (`teacher.lesson`). */
export type LessonId =
  | 'beyond-sft'
  | 'how-rft-works'
  | 'programmable-graders'
  | 'reward-hacking'
  | 'dpo'
  | 'noisy-demonstrations'
  | 'collapse-and-leash'
  | 'when-to-use-each'
  | 'practice-vs-exam'
  | 'copying-mistakes'
  | 'preferred-less-likely';

/** One screen of the narrative. `body` is plain text with minimal markdown (`**bold**`, `*italic*`, `` `code` ``, blank-line paragraphs). */
export interface NarrativeStep {
  heading: string;
  body: string;
  /**
   * The step tells what runs show: its body stays hidden until these runs (ids of the lesson's runs) have
   * reached their steps on the page, so the experiment speaks before the text does.
   */
  afterRuns?: readonly string[];
}

/**
 * One configuration the page can load as is: the engine config (its `objective`
 * is ignored by the page, which sets it per lane) and which lanes train.
 * A lesson comparing settings (β small vs large) has one run per setting.
 */
export interface PresetRun {
  /** Unique within its lesson; claims refer to it. */
  id: string;
  /** What the class sees on the run's button, e.g. "β = 0.5 (conservative)". */
  label: string;
  config: ConfigInput;
  /** Lanes that train, each from the same initial policy. */
  lanes: readonly Objective[];
}

/** A series of one lane of one run, e.g. the SFT lane's `reward`. */
export interface MetricRef {
  run: string;
  lane: Objective;
  /** A metric name as the lane records it (`reward`, `kl`, `entropy`, `rewards/exact`, `eval_reward`, …). */
  metric: string;
}

/**
 * The mean of a metric over `window` steps at the end (default) or the start of the run. A held-out metric
 * (`eval_*`, logged every `eval_steps` steps) counts evaluations instead, and its start is the step-0
 * evaluation of the starting policy.
 */
export interface WindowedMetric extends MetricRef {
  window: number;
  at?: 'end' | 'start';
}

/**
 * What a run demonstrates, as an assertion over its metric records. Every claim
 * carries the sentence it checks, so a failure reads as the lesson's own words.
 */
export type Claim = {
  statement: string;
  /**
   * The narrative step (0-based index into `steps`) whose text makes the claim: a small live chart of the
   * claim's metric is drawn inline there (src/lessons/figures.ts). Every claim of the course has one.
   */
  step?: number;
} & (
  | { kind: 'approx'; of: WindowedMetric; value: number; tolerance: number }
  | { kind: 'at-least'; of: WindowedMetric; value: number }
  | { kind: 'at-most'; of: WindowedMetric; value: number }
  /** `of` exceeds `than` by more than `margin` (default 0). */
  | { kind: 'greater'; of: WindowedMetric; than: WindowedMetric; margin?: number }
  /**
   * `first` reaches `threshold` (its mean over `window` consecutive steps) at an
   * earlier step than `second`, or `second` never does. "Smoother rewards learn faster."
   */
  | { kind: 'reaches-sooner'; first: MetricRef; second: MetricRef; threshold: number; window: number }
);

/** A "predict, then run" question: asked before the run, answered by it. */
export interface Prediction {
  question: string;
  choices: readonly string[];
  /** Index into `choices` of what the run shows. */
  shownByRun: number;
  /** Shown after the reveal: what to look at in the charts. */
  lookFor: string;
  /** Runs whose result answers the question; its answer shows only once they have reached their steps. Default: every run of the lesson. */
  runs?: readonly string[];
}

export interface QuizChoice {
  text: string;
  correct: boolean;
  /** Why this answer is right or wrong; shown once the student picks it. */
  feedback: string;
}

export interface QuizQuestion {
  /** Unique within its lesson; the progress store keeps answers by it. */
  id: string;
  question: string;
  choices: readonly QuizChoice[];
}

export interface Lesson {
  id: LessonId;
  /** 1-based place in the course. */
  number: number;
  title: string;
  /** One sentence for the lessons list. */
  summary: string;
  steps: readonly NarrativeStep[];
  predictions: readonly Prediction[];
  /** The first run is the one a lesson link opens. */
  runs: readonly PresetRun[];
  /** What the runs demonstrate, checked over their metric records after `config.steps` steps. */
  claims: readonly Claim[];
  teacherNotes: readonly string[];
  quiz: readonly QuizQuestion[];
}
