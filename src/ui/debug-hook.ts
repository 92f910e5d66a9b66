/**
 * `window.__rftPlayground`: a read-only view of what the page shows, for the
 * end-to-end tests and for curious students in the console. It returns
 * copies; nothing written to it reaches the page.
 */
import type { LaneId, LaneRecord, Progress, RunDefinition } from '../worker/protocol.ts';
import { Chart } from 'chart.js';
import { ghostLines, lossChart } from './chart-specs.ts';
import { isRawTrace } from './chart-setup.ts';
import { ghostSteps } from './ghosts.ts';
import { CHART_REFRESH } from './redraw-scheduler.ts';
import type { Playground } from './playground.svelte.ts';

export interface DebugHook {
  /** Every step record per lane. */
  metrics(): Record<LaneId, LaneRecord[]>;
  /**
   * The lines a chart draws (before decimation), by chart id, e.g. "reward" or "loss-rft": each line's
   * raw points and, with smoothing on, the smoothed ones drawn over them. The reward chart has the
   * evaluation graders' lines too.
   */
  chartData(id: string): { label: string; metric: string; points: { x: number; y: number }[]; smoothed: { x: number; y: number }[] | null; ghost?: string }[] | null;
  /** What a chart on the page draws now (by chart id, or a lesson figure's id): each line's legend name and point count, ghosts marked; raw traces left out. */
  drawnLines(id: string): { label: string; points: number; ghost: boolean; dash: number[] }[] | null;
  /** The earlier runs kept on the charts. */
  ghosts(): { id: number; label: string; hidden: boolean; pinned: boolean; steps: number; lanes: LaneId[]; config: RunDefinition['config'] }[];
  /** The knob changes and lesson events marked on the charts. */
  events(): { step: number; label: string; kind: string }[];
  progress(): Progress;
  /** The run definition the controls show (including changes waiting for Reset). */
  definition(): RunDefinition | null;
  backendBadge(): string | null;
  /** The lane's heatmap as the worker last sent it (probability per position and token of the selected prompt), full precision. */
  heatmap(lane: LaneId): number[][] | null;
  /** The last step the slow-motion views took apart, for one lane: its step, prompt and the heatmaps before and after. */
  slowMotion(lane: LaneId): { step: number; prompt: number; heatmapBefore: number[][]; heatmapAfter: number[][] } | null;
}

/** One declaration of the hook for every test that reads it (import this module's types to get it). */
declare global {
  interface Window {
    readonly __rftPlayground: DebugHook;
  }
}

export function installDebugHook(pg: Playground): void {
  const hook: DebugHook = {
    metrics: () => pg.history.toJSON(),
    chartData(id) {
      const spec = [...pg.sharedCharts(), ...(['rft', 'dpo', 'sft'] as const).map(lossChart)].find((c) => c.id === id);
      if (!spec) return null;
      const live = spec.lines.map((l) => ({
        label: l.label,
        metric: l.metric,
        points: pg.history.points(l.lane, l.metric, pg.budget).map((p) => ({ ...p })),
        smoothed: pg.smoothing > 0 ? pg.history.smoothed(l.lane, l.metric, pg.budget, pg.smoothing).map((p) => ({ ...p })) : null,
      }));
      const ghosts = ghostLines(spec, pg.history.visibleGhosts()).map((l) => ({
        label: l.label,
        metric: l.metric,
        points: pg.history.ghostPoints(l.ghost, l.lane, l.metric, pg.budget).map((p) => ({ ...p })),
        smoothed: pg.smoothing > 0 ? pg.history.ghostPoints(l.ghost, l.lane, l.metric, pg.budget, pg.smoothing).map((p) => ({ ...p })) : null,
        ghost: l.ghost.label,
      }));
      return [...live, ...ghosts];
    },
    drawnLines(id) {
      const canvas = document.querySelector<HTMLCanvasElement>(`figure[data-chart-id="${CSS.escape(id)}"] canvas, figure[data-figure-id="${CSS.escape(id)}"] canvas`);
      // Off-screen charts skip redraws: bring this one up to date first.
      canvas?.closest('figure')?.dispatchEvent(new Event(CHART_REFRESH));
      const chart = canvas ? Chart.getChart(canvas) : undefined;
      if (!chart) return null;
      return chart.data.datasets
        .filter((d) => !isRawTrace(d))
        .map((d) => ({ label: String(d.label ?? ''), points: d.data.length, ghost: 'ghostKey' in d, dash: [...((d as { borderDash?: number[] }).borderDash ?? [])] }));
    },
    ghosts: () =>
      pg.ghosts.map((g) => ({
        id: g.id,
        label: g.label,
        hidden: g.hidden,
        pinned: g.pinned,
        steps: ghostSteps(g),
        lanes: (['rft', 'dpo', 'sft'] as const).filter((l) => g.records[l]?.length),
        config: structuredClone(g.definition.config),
      })),
    events: () => pg.events.map((e) => ({ step: e.step, label: e.label, kind: e.kind })),
    progress: () => ({ ...pg.progress }),
    definition: () => structuredClone(pg.definition),
    backendBadge: () => pg.run?.backendBadge ?? null,
    heatmap: (lane) => structuredClone(pg.snapshots[lane]?.heatmap ?? null),
    slowMotion(lane) {
      const r = pg.slowMotion[lane];
      return r ? structuredClone({ step: r.step, prompt: r.prompt, heatmapBefore: r.heatmapBefore, heatmapAfter: r.heatmapAfter }) : null;
    },
  };
  Object.defineProperty(window, '__rftPlayground', { value: Object.freeze(hook), writable: false, configurable: false });
}
