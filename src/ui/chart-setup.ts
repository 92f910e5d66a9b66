/**
 * chart.js with only the pieces the page draws (tree-shaken), set up for live
 * data: no animation, pre-parsed {x, y} points, and decimation so a long run
 * draws a few hundred points per line instead of every step. The legend is
 * HTML (LineChart.svelte): chart.js re-measures its own on every update.
 */
import { Chart, Decimation, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration, type Plugin } from 'chart.js';
import type { ChartSpec } from './chart-specs.ts';
import type { Point } from './metric-history.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Decimation);

export type LiveChart = Chart<'line', Point[]>;

/** Tick labels with at most three significant digits (a flat series otherwise shows "1.3862943611198920"). */
function formatValue(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e4 || abs < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

/** Decimals that write `x` exactly enough: the fewest from `from` on for which x·10^d is a whole number (capped). */
function decimalsFor(x: number, from: number): number {
  let d = Math.max(0, from);
  while (d < from + 3 && Math.abs(x * 10 ** d - Math.round(x * 10 ** d)) > 1e-6 * Math.max(1, Math.abs(x * 10 ** d))) d++;
  return d;
}

/**
 * One formatter for a whole axis, chosen from its ticks: fixed decimals (or,
 * for very large or very small values, exponents) with as many digits as
 * the step between ticks needs, raised until neighbouring labels differ, so
 * an axis never shows "1.39, 1.39, 1.38" nor mixes "2.0e+4" with "3000".
 */
export function axisFormat(values: readonly number[]): (v: number) => string {
  const finite = [...new Set(values.filter(Number.isFinite))].sort((a, b) => a - b);
  const maxAbs = Math.max(0, ...finite.map(Math.abs));
  if (maxAbs === 0) return () => '0';
  let step = maxAbs;
  for (let i = 1; i < finite.length; i++) step = Math.min(step, finite[i] - finite[i - 1]);
  const exponential = maxAbs >= 1e6 || maxAbs < 1e-3;
  const magnitude = (x: number) => Math.floor(Math.log10(x));
  // Exponential: mantissa digits of the largest value down to the step; fixed: decimals down to the step.
  const stepMantissa = step / 10 ** magnitude(step);
  let digits = exponential
    ? Math.min(6, magnitude(maxAbs) - magnitude(step) + decimalsFor(stepMantissa, 0))
    : Math.min(10, decimalsFor(step, -magnitude(step)));
  const write = (v: number, d: number): string => {
    if (v === 0) return '0';
    const text = exponential ? v.toExponential(d) : v.toFixed(d);
    // "-0.00" for a tiny negative tick reads as a different number from "0.00".
    return Number(text) === 0 ? text.replace(/^-/, '') : text;
  };
  while (digits < 12 && new Set(finite.map((v) => write(v, digits))).size < finite.length) digits++;
  return (v) => write(v, digits);
}

const axisFormats = new WeakMap<readonly { value: number }[], (v: number) => string>();

/**
 * Tick label callback for chart.js. Given the axis's ticks (chart.js passes
 * them), every label of the axis shares one format (see `axisFormat`);
 * alone, a value gets three significant digits.
 */
export function formatTick(value: number | string, _index?: number, ticks?: readonly { value: number }[]): string {
  const v = Number(value);
  if (!Number.isFinite(v)) return String(value);
  if (ticks && ticks.length > 1) {
    let format = axisFormats.get(ticks);
    if (!format) axisFormats.set(ticks, (format = axisFormat(ticks.map((t) => t.value))));
    return format(v);
  }
  if (v === 0) return '0';
  return formatValue(v);
}

/** A vertical mark on the time axis: a knob change or a lesson event, drawn at `x` with a short label. */
export interface ChartMark {
  x: number;
  label: string;
  color: string;
}

/** The marks a chart draws, kept on the chart object (chart.js options would be deep-copied on every update). */
const chartMarks = new WeakMap<Chart, ChartMark[]>();

export function setChartMarks(chart: Chart, marks: ChartMark[]): void {
  chartMarks.set(chart, marks);
}

/** Marks within `pixels` of the hovered x (for the tooltip). */
function marksNear(chart: Chart, x: number, pixels = 6): ChartMark[] {
  const scale = chart.scales.x;
  if (!scale) return [];
  const at = scale.getPixelForValue(x);
  return (chartMarks.get(chart) ?? []).filter((m) => Math.abs(scale.getPixelForValue(m.x) - at) <= pixels);
}

const MARK_DASH = [3, 3];

/** Draws the marks behind nothing: thin dashed verticals over the plot, each label at the top where it fits. */
const marksPlugin: Plugin<'line'> = {
  id: 'rftMarks',
  afterDatasetsDraw(chart) {
    const marks = chartMarks.get(chart);
    const area = chart.chartArea;
    const scale = chart.scales.x;
    if (!marks?.length || !area || !scale) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.lineWidth = 1;
    ctx.setLineDash(MARK_DASH);
    ctx.font = `${Math.max(10, Number(Chart.defaults.font.size) - 2)}px ${Chart.defaults.font.family}`;
    ctx.textBaseline = 'top';
    let labelEnd = -Infinity;
    for (const m of [...marks].sort((a, b) => a.x - b.x)) {
      const px = scale.getPixelForValue(m.x);
      if (px < area.left - 0.5 || px > area.right + 0.5) continue;
      ctx.strokeStyle = m.color;
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      // Labels that would overlap the previous one are left to the tooltip.
      const width = ctx.measureText(m.label).width;
      const left = px + width + 3 > area.right ? px - width - 3 : px + 3;
      if (left > labelEnd) {
        ctx.fillStyle = m.color;
        ctx.fillText(m.label, left, area.top + 2);
        labelEnd = left + width + 6;
      }
    }
    ctx.restore();
  },
};

/** The faint raw line drawn behind a smoothed one (PNG legends and tooltips skip it). */
export const isRawTrace = (dataset: object): boolean => (dataset as { rawTrace?: boolean }).rawTrace === true;

/** `#rrggbb` at `alpha` opacity, as #rrggbbaa. */
const faint = (color: string, alpha = 0.35) => color + Math.round(alpha * 255).toString(16).padStart(2, '0');

/** A ghost line (an earlier run): its key tells LineChart which ghost and line it draws. */
export const ghostKey = (dataset: object): string | undefined => (dataset as { ghostKey?: string }).ghostKey;

/** How faint a ghost is: visible beside the live line, never mistaken for it. */
export const GHOST_ALPHA = 0.55;

/** A dataset for one ghost line: the lane's colour, faint and thinner, with the ghost's own dash. */
export function ghostDataset(key: string, label: string, metric: string, color: string, dash: number[]) {
  return {
    label,
    data: [] as Point[],
    ghostKey: key,
    metric,
    borderColor: faint(color, GHOST_ALPHA),
    backgroundColor: faint(color, GHOST_ALPHA),
    borderDash: dash,
    borderWidth: 1.5,
    pointRadius: 0,
    tension: 0,
    // Behind the live lines and their raw traces.
    order: 2,
    spanGaps: true,
  };
}

/**
 * A line chart for `spec`: one dataset per line (the smoothed curve when smoothing is on), then the
 * same lines again as faint raw traces behind them, empty unless smoothing is on (LineChart fills them).
 */
const smoothedNote = (chart: Chart): string => (chart.data.datasets.some((d) => isRawTrace(d) && d.data.length > 0) ? ', smoothed' : '');

/** The last point at or before `x` (points are in x order), or undefined. */
function pointAtOrBefore(points: readonly Point[], x: number): Point | undefined {
  let lo = 0;
  let hi = points.length - 1;
  let found: Point | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x <= x) [found, lo] = [points[mid], mid + 1];
    else hi = mid - 1;
  }
  return found;
}

/** For a held-out line: how far it sits below its lane's train line at that step ("train − held-out = 0.12"). */
function gapNote(chart: Chart, spec: ChartSpec, index: number, x: number, y: number): string {
  const line = spec.lines[index];
  if (!line?.gapTo || !Number.isFinite(y)) return '';
  const train = spec.lines.findIndex((l) => l.lane === line.lane && l.metric === line.gapTo);
  const p = train < 0 ? undefined : pointAtOrBefore(chart.data.datasets[train].data as Point[], x);
  return p ? `; gap to train (train − held-out): ${formatTick(p.y - y)}` : '';
}

export function createLineChart(canvas: HTMLCanvasElement, spec: ChartSpec, xTitle: string): LiveChart {
  // Axis text and grid from the page's theme (chart.js's fixed grey is faint on the dark theme).
  const theme = getComputedStyle(canvas);
  const text = theme.getPropertyValue('--muted').trim() || '#5a6270';
  const grid = theme.getPropertyValue('--border').trim() || '#d5d9e0';
  const config: ChartConfiguration<'line', Point[]> = {
    type: 'line',
    data: {
      datasets: [
        ...spec.lines.map((l) => ({
          label: l.label,
          data: [],
          borderColor: l.color,
          backgroundColor: l.color,
          borderDash: l.dash,
          borderWidth: 2,
          // Held-out evaluations come every eval_steps: a dot marks each one.
          pointRadius: l.gapTo ? 2 : 0,
          tension: 0,
          order: 0,
          // chart.js performance guide: spanning gaps lets it draw each line as one path.
          spanGaps: true,
        })),
        ...spec.lines.map((l) => ({
          label: `${l.label} (raw)`,
          data: [],
          rawTrace: true,
          borderColor: faint(l.color),
          backgroundColor: faint(l.color),
          borderDash: l.dash,
          borderWidth: 1.5,
          pointRadius: 0,
          tension: 0,
          // Higher order draws first: the raw trace stays behind the smoothed line.
          order: 1,
          spanGaps: true,
        })),
      ],
    },
    plugins: [marksPlugin],
    options: {
      color: text,
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        // Fixed (zero) label rotation: chart.js then skips fitting rotated labels on every update.
        x: { type: 'linear', title: { display: true, text: xTitle, color: text }, grid: { color: grid }, ticks: { color: text, maxTicksLimit: 6, minRotation: 0, maxRotation: 0, callback: formatTick } },
        y: {
          type: 'linear',
          min: spec.yMin,
          max: spec.yMax,
          title: { display: spec.yTitle !== undefined, text: spec.yTitle ?? '', color: text },
          grid: { color: grid },
          ticks: { color: text, maxTicksLimit: 5, callback: formatTick },
        },
      },
      plugins: {
        decimation: { enabled: true, algorithm: 'lttb', samples: 300, threshold: 400 },
        // The tooltip names the metric as TRL logs it (and as the exports write it) beside the friendly label.
        // Raw traces stay out of it (their line is the one named); marks near the pointer are listed under it.
        tooltip: {
          enabled: true,
          filter: (item) => !isRawTrace(item.dataset),
          callbacks: {
            label: (item) =>
              `${item.dataset.label} (${spec.lines[item.datasetIndex]?.metric ?? (item.dataset as { metric?: string }).metric}${smoothedNote(item.chart)}): ${formatTick(item.parsed.y ?? NaN)}${gapNote(item.chart, spec, item.datasetIndex, item.parsed.x ?? NaN, item.parsed.y ?? NaN)}`,
            footer: (items) => (items[0] ? marksNear(items[0].chart, items[0].parsed.x ?? NaN).map((m) => `▏ ${m.label}`) : []),
          },
        },
      },
    },
  };
  return new Chart(canvas, config);
}
