/**
 * Which lines each chart draws, with the lane colours and dash patterns.
 * Okabe–Ito colours stay distinct under the common colour-vision deficiencies;
 * the dash pattern tells lanes apart even in greyscale.
 */
import type { LaneId } from '../worker/protocol.ts';
import { type Ghost, ghostDash, ghostLineLabel } from './ghosts.ts';

export const LANE_STYLE: Record<LaneId, { name: string; color: string; dash: number[]; dashLabel: string }> = {
  rft: { name: 'RFT', color: '#E69F00', dash: [], dashLabel: 'solid line' },
  dpo: { name: 'DPO', color: '#0072B2', dash: [8, 4], dashLabel: 'dashed line' },
  sft: { name: 'SFT', color: '#009E73', dash: [2, 3], dashLabel: 'dotted line' },
};

export interface LineSpec {
  lane: LaneId;
  metric: string;
  /** The legend's friendly name; the metric's TRL name is `metric` (tooltip, exports). */
  label: string;
  color: string;
  dash: number[];
  /** A held-out line: the tooltip gives its gap to this train metric of the same lane at the same step. */
  gapTo?: string;
}

/** Evaluation-grader lines: the lane's colour, a dash-dot pattern no lane line uses. */
export const EVAL_DASH = [10, 3, 2, 3];
/** Held-out lines (eval_reward): the lane's colour, dashed, beside its solid train line. */
export const HELD_OUT_DASH = [6, 4];

export interface ChartSpec {
  id: string;
  title: string;
  /** One line on how to read the chart. */
  help: string;
  lines: LineSpec[];
  /** The y axis title, with units. */
  yTitle?: string;
  /** Fixed y range when the metric has one (rewards, fractions). */
  yMin?: number;
  yMax?: number;
}

const perLane = (metric: string, lanes: readonly LaneId[]): LineSpec[] =>
  lanes.map((lane) => ({ lane, metric, label: LANE_STYLE[lane].name, color: LANE_STYLE[lane].color, dash: LANE_STYLE[lane].dash }));

/**
 * The shared charts for the lanes that are on. Every evaluation grader (`rewards/<name>`, scored on the
 * same samples, never trained on) is drawn in the reward chart beside `reward`, in its lane's colour.
 */
export function sharedCharts(enabled: readonly LaneId[], evalGraders: readonly string[] = [], heldOut = false): ChartSpec[] {
  const evalLines: LineSpec[] = evalGraders.flatMap((name) =>
    enabled.map((lane) => ({ lane, metric: `rewards/${name}`, label: `${LANE_STYLE[lane].name} · ${name}`, color: LANE_STYLE[lane].color, dash: EVAL_DASH })),
  );
  // With held-out prompts each lane has two lines in one colour: train solid, held-out dashed (the gap is the lesson).
  const rewardLines = heldOut
    ? enabled.flatMap((lane): LineSpec[] => [
        { lane, metric: 'reward', label: `${LANE_STYLE[lane].name} train`, color: LANE_STYLE[lane].color, dash: [] },
        { lane, metric: 'eval_reward', label: `${LANE_STYLE[lane].name} held-out`, color: LANE_STYLE[lane].color, dash: HELD_OUT_DASH, gapTo: 'reward' },
      ])
    : perLane('reward', enabled);
  const help = [
    heldOut ? 'Mean grader score of each lane’s samples: solid on the prompts it trains on, dashed on held-out prompts it never sees (every eval_steps).' : 'Mean grader score of each lane’s samples (all lanes on one axis).',
    evalLines.length ? 'Dash-dot lines: evaluation graders on the same samples, never trained on.' : '',
  ];
  const charts: ChartSpec[] = [
    {
      id: 'reward',
      title: 'Reward',
      help: help.join(' ').trim(),
      lines: [...rewardLines, ...evalLines],
      yTitle: 'mean score (0–1)',
      yMin: 0,
      yMax: 1,
    },
    { id: 'kl', title: 'KL to the starting policy', help: 'How far each policy has moved from where it started.', lines: perLane('kl', enabled), yTitle: 'KL (nats)' },
    { id: 'entropy', title: 'Entropy', help: 'How spread out the answers are; near 0 means one answer per prompt.', lines: perLane('entropy', enabled), yTitle: 'entropy (nats)' },
  ];
  if (enabled.includes('dpo')) {
    charts.push({
      id: 'dpo-logps',
      title: 'DPO log-probabilities',
      help: 'log π of the chosen and of the rejected answers: DPO pushes them apart.',
      lines: [
        { lane: 'dpo', metric: 'logps/chosen', label: 'chosen answer', color: '#0072B2', dash: [] },
        { lane: 'dpo', metric: 'logps/rejected', label: 'rejected answer', color: '#D55E00', dash: [8, 4] },
      ],
      yTitle: 'log-probability (nats)',
    });
  }
  if (enabled.includes('rft')) {
    charts.push({
      id: 'rft-signal',
      title: 'RFT learning signal',
      help: 'Share of prompt groups whose samples all scored the same (no signal), and of ratios clipped by ε.',
      lines: [
        { lane: 'rft', metric: 'frac_reward_zero_std', label: 'groups with no signal', color: '#CC79A7', dash: [] },
        { lane: 'rft', metric: 'clip_ratio', label: 'ratios clipped', color: '#E69F00', dash: [8, 4] },
      ],
      yTitle: 'share (0–1)',
      yMin: 0,
      yMax: 1,
    });
  }
  return charts;
}

/** One ghost's line on a chart: the live line it shadows, in the lane's colour with the ghost's dash. */
export interface GhostLineSpec {
  /** Stable per ghost and line, so a chart keeps a dataset while the ghost stays. */
  key: string;
  ghost: Ghost;
  lane: LaneId;
  metric: string;
  label: string;
  color: string;
  dash: number[];
}

/**
 * The ghost lines a chart draws: for each visible ghost, each of the chart's lines whose lane the ghost
 * trained, named "RFT reward — ghost: KL β 0.5". A line the ghost never logged (an evaluation grader it
 * did not have) draws nothing and is left out.
 */
export function ghostLines(spec: ChartSpec, ghosts: readonly Ghost[]): GhostLineSpec[] {
  const out: GhostLineSpec[] = [];
  for (const ghost of ghosts) {
    for (const line of spec.lines) {
      // Any record: held-out metrics come every eval_steps, and a step-0 record holds only those.
      if (!ghost.records[line.lane]?.some((r) => typeof r[line.metric] === 'number')) continue;
      out.push({
        key: `${ghost.id}|${line.lane}|${line.metric}`,
        ghost,
        lane: line.lane,
        metric: line.metric,
        label: ghostLineLabel(line.label, line.metric, LANE_STYLE[line.lane].name, ghost.label),
        color: line.color,
        // An evaluation grader's ghost shares its lane's colour with the reward's: a long dash added to the ghost's own tells them apart.
        dash: line.dash === EVAL_DASH ? [...ghostDash(ghost.slot), 10, 3] : line.dash === HELD_OUT_DASH ? [...ghostDash(ghost.slot), 3, 6] : ghostDash(ghost.slot),
      });
    }
  }
  return out;
}

/** The loss chart inside a lane card. */
export function lossChart(lane: LaneId): ChartSpec {
  return { id: `loss-${lane}`, title: `${LANE_STYLE[lane].name} loss`, help: 'The objective this lane minimises.', lines: perLane('loss', [lane]), yTitle: 'loss' };
}

/** Counts of values in `bins` equal-width bins over [min, max] (values outside are clamped in). */
export function histogram(values: readonly number[], bins: number, min = 0, max = 1): number[] {
  const counts = new Array<number>(bins).fill(0);
  const width = (max - min) / bins;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const i = Math.min(bins - 1, Math.max(0, Math.floor((v - min) / width)));
    counts[i]++;
  }
  return counts;
}

/** The heatmap's one hue (Okabe–Ito blue), blended over the panel colour by probability. */
const HEAT_HUE = [0x00, 0x72, 0xb2] as const;
/** The panel colours the heatmap is drawn over (global.css --panel, light and dark). */
export const HEAT_BASE = { light: [0xff, 0xff, 0xff], dark: [0x1d, 0x23, 0x2c] } as const;

/** WCAG relative luminance of an sRGB colour given as 0–255 channels. */
export function luminance(rgb: readonly number[]): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two luminances (1 to 21). */
export function contrastRatio(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

const hex = (rgb: readonly number[]) => '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');

/**
 * A heatmap cell's opaque background for probability `p` over `theme`'s
 * panel, and its text colour: black or white, whichever contrasts more with
 * that background (never under 4.58:1, so every cell passes WCAG AA).
 */
export function heatColors(p: number, theme: keyof typeof HEAT_BASE): { background: string; text: string } {
  const t = Math.min(1, Math.max(0, Number.isFinite(p) ? p : 0));
  const bg = HEAT_BASE[theme].map((c, i) => Math.round(c + (HEAT_HUE[i] - c) * t));
  const l = luminance(bg);
  return { background: hex(bg), text: contrastRatio(l, 1) >= contrastRatio(l, 0) ? '#ffffff' : '#000000' };
}
