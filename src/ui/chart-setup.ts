/**
 * chart.js with only the pieces the page draws (tree-shaken), set up for live
 * data: no animation, pre-parsed {x, y} points, and decimation so a long run
 * draws a few hundred points per line instead of every step. The legend is
 * HTML (LineChart.svelte): chart.js re-measures its own on every update.
 */
import { Chart, Decimation, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration } from 'chart.js';
import type { ChartSpec } from './chart-specs.ts';
import type { Point } from './metric-history.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Decimation);

export type LiveChart = Chart<'line', Point[]>;

/** Tick labels with at most three significant digits (a flat series otherwise shows "1.3862943611198920"). */
export function formatTick(value: number | string): string {
  const v = Number(value);
  if (!Number.isFinite(v)) return String(value);
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e4 || abs < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

export function createLineChart(canvas: HTMLCanvasElement, spec: ChartSpec, xTitle: string): LiveChart {
  const config: ChartConfiguration<'line', Point[]> = {
    type: 'line',
    data: {
      datasets: spec.lines.map((l) => ({
        label: l.label,
        data: [],
        borderColor: l.color,
        backgroundColor: l.color,
        borderDash: l.dash,
        borderWidth: 2,
        pointRadius: 0,
        tension: 0,
        // chart.js performance guide: spanning gaps lets it draw each line as one path.
        spanGaps: true,
      })),
    },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        // Fixed (zero) label rotation: chart.js then skips fitting rotated labels on every update.
        x: { type: 'linear', title: { display: true, text: xTitle }, ticks: { maxTicksLimit: 6, minRotation: 0, maxRotation: 0, callback: formatTick } },
        y: { type: 'linear', min: spec.yMin, max: spec.yMax, ticks: { maxTicksLimit: 5, callback: formatTick } },
      },
      plugins: {
        decimation: { enabled: true, algorithm: 'lttb', samples: 300, threshold: 400 },
        tooltip: { enabled: true },
      },
    },
  };
  return new Chart(canvas, config);
}
