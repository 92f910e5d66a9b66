/**
 * The small live charts inside a lesson's text: each narrative step that makes claims gets one figure per
 * kind of metric its claims are about (rewards and evaluation graders share one 0–1 axis; entropy, KL and
 * the rest each get their own), with one line per run, lane and metric the claims compare. Pure data: the
 * page draws it from its own run and ghosts (src/ui/lessons/LessonFigure.svelte), the tests check that
 * every claim of the course has its figure.
 */
import { isEvalMetric } from './claims.ts';
import type { Claim, Lesson, MetricRef } from './types.ts';

export interface FigureLine extends MetricRef {
  /** Legend name: "No leash · entropy", "Grader: contains the answer · exact match". */
  label: string;
  color: string;
  dash: number[];
}

export interface LessonFigure {
  /** Unique in the lesson, e.g. "step-2-reward". */
  id: string;
  step: number;
  /** Indexes into the lesson's claims that this figure illustrates. */
  claims: number[];
  title: string;
  yTitle: string;
  yMin?: number;
  yMax?: number;
  lines: FigureLine[];
}

/** Okabe–Ito, in an order that keeps neighbours apart; dashes tell lines apart without colour. */
const COLORS = ['#E69F00', '#0072B2', '#009E73', '#CC79A7', '#D55E00', '#56B4E9'];
const DASHES: number[][] = [[], [8, 4], [2, 3], [10, 3, 2, 3], [1, 3], [12, 4]];

/** The metrics on one 0–1 "how often right" axis share a figure. */
const SHARE_METRICS = new Set(['reward', 'mean_token_accuracy', 'frac_reward_zero_std', 'clip_ratio', 'rewards/accuracies']);

/**
 * Held-out scores (eval_reward, its greedy twin, eval_rewards/<name>) share the reward axis with the training
 * reward, so practice and exam are read off one figure; the two copy rates share one too. Held-out series are
 * sparse (a point every eval_steps steps, and step 0): the figure draws the records that have the metric.
 */
function family(metric: string): string {
  if (metric === 'reward' || metric === 'eval_reward' || metric === 'eval_reward_greedy' || metric.startsWith('eval_rewards/')) return 'reward';
  if (metric.startsWith('rewards/') && metric !== 'rewards/margins' && metric !== 'rewards/chosen' && metric !== 'rewards/rejected') return 'reward';
  if (metric === 'eval_copy_rate_greedy') return 'eval_copy_rate';
  return metric;
}

const METRIC_WORDS: Record<string, string> = {
  reward: 'reward',
  entropy: 'entropy',
  kl: 'KL to the start',
  frac_reward_zero_std: 'groups with no signal',
  mean_token_accuracy: 'token accuracy',
  clip_ratio: 'ratios clipped',
  'rewards/accuracies': 'pairs ranked right',
  'rewards/margins': 'margin',
  'logps/chosen': 'log π(chosen)',
  'logps/rejected': 'log π(rejected)',
  eval_reward: 'held-out reward',
  eval_reward_greedy: 'held-out reward, greedy',
  eval_copy_rate: 'copies of a demo mistake',
  eval_copy_rate_greedy: 'copies of a demo mistake, greedy',
};

export function metricWords(metric: string): string {
  if (metric.startsWith('eval_rewards/') && !(metric in METRIC_WORDS)) return `held-out ${metricWords(metric.slice('eval_'.length))}`;
  return METRIC_WORDS[metric] ?? (metric.startsWith('rewards/') ? metric.slice('rewards/'.length).replace(/_/g, ' ') : metric.replace(/_/g, ' '));
}

const FAMILY_TITLES: Record<string, { title: string; yTitle: string; range?: [number, number | undefined] }> = {
  reward: { title: 'Reward and graders', yTitle: 'mean score (0–1)', range: [0, 1] },
  entropy: { title: 'Entropy', yTitle: 'entropy (nats)' },
  kl: { title: 'KL to the starting policy', yTitle: 'KL (nats)' },
  eval_copy_rate: { title: 'Held-out answers that copy a demo mistake', yTitle: 'share of answers', range: [0, undefined] },
  'logps/chosen': { title: 'Log-probability of the chosen answers', yTitle: 'log π (nats)' },
  'rewards/margins': { title: 'DPO margin', yTitle: 'β · (log-ratio gap)' },
};

export function claimRefs(claim: Claim): MetricRef[] {
  if (claim.kind === 'greater') return [claim.of, claim.than];
  if (claim.kind === 'reaches-sooner') return [claim.first, claim.second];
  return [claim.of];
}

/** Every figure of a lesson, in step order. Claims without a step get none (the integrity test forbids that). */
export function lessonFigures(lesson: Lesson): LessonFigure[] {
  const byKey = new Map<string, LessonFigure>();
  lesson.claims.forEach((claim, index) => {
    if (claim.step === undefined) return;
    for (const ref of claimRefs(claim)) {
      const fam = family(ref.metric);
      const id = `step-${claim.step}-${fam.replace(/[^a-z0-9]+/gi, '-')}`;
      let figure = byKey.get(id);
      if (!figure) {
        const t = FAMILY_TITLES[fam] ?? { title: metricWords(fam).replace(/^./, (c) => c.toUpperCase()), yTitle: metricWords(fam), range: SHARE_METRICS.has(fam) ? ([0, 1] as [number, number | undefined]) : undefined };
        figure = { id, step: claim.step, claims: [], title: t.title, yTitle: t.yTitle, yMin: t.range?.[0], yMax: t.range?.[1], lines: [] };
        byKey.set(id, figure);
      }
      if (!figure.claims.includes(index)) figure.claims.push(index);
      if (!figure.lines.some((l) => l.run === ref.run && l.lane === ref.lane && l.metric === ref.metric)) {
        const k = figure.lines.length;
        // Named below, once the figure is complete: a name says only what tells its lines apart.
        figure.lines.push({ run: ref.run, lane: ref.lane, metric: ref.metric, label: '', color: COLORS[k % COLORS.length], dash: DASHES[k % DASHES.length] });
      }
    }
  });
  const figures = [...byKey.values()].sort((a, b) => a.step - b.step);
  for (const f of figures) {
    const held = f.lines.filter((l) => isEvalMetric(l.metric)).length;
    if (family(f.lines[0].metric) === 'reward' && held > 0) f.title = held === f.lines.length ? 'Held-out reward' : 'Practice and held-out reward';
  }
  // A line's colour and dash follow what tells it apart (its run, else its lane, else its metric), the same
  // across the lesson's figures: "No leash" is one colour in the entropy figure and in the KL figure.
  const slots = new Map<string, number>();
  for (const f of figures) {
    const oneRun = new Set(f.lines.map((l) => l.run)).size === 1;
    const oneLane = new Set(f.lines.map((l) => l.lane)).size === 1;
    const oneMetric = new Set(f.lines.map((l) => l.metric)).size === 1;
    const used = new Set<number>();
    for (const l of f.lines) {
      const key = [oneRun ? '' : `run:${l.run}`, oneLane ? '' : `lane:${l.lane}`, oneMetric && !(oneRun && oneLane) ? '' : `metric:${l.metric}`].join('|');
      if (!slots.has(key)) slots.set(key, slots.size);
      let k = slots.get(key)!;
      // Two lines of one figure never share a look, whatever the lesson-wide slots say.
      while (used.has(k % COLORS.length)) k++;
      used.add(k % COLORS.length);
      l.color = COLORS[k % COLORS.length];
      l.dash = DASHES[k % DASHES.length];
    }
    // A lane is named only where a run shows more than one: a run of one lane already says which.
    const laneNeeded = f.lines.some((a) => f.lines.some((b) => a.run === b.run && a.lane !== b.lane));
    for (const l of f.lines) {
      const runLabel = lesson.runs.find((r) => r.id === l.run)?.label ?? l.run;
      const parts = [oneRun && f.lines.length > 1 ? null : runLabel, oneLane || !laneNeeded ? null : l.lane.toUpperCase(), oneMetric && f.lines.length > 1 ? null : metricWords(l.metric)];
      l.label = parts.filter(Boolean).join(' · ') || metricWords(l.metric);
    }
  }
  return figures;
}

export function figuresForStep(lesson: Lesson, step: number): LessonFigure[] {
  return lessonFigures(lesson).filter((f) => f.step === step);
}
