/**
 * `window.__rftPlayground`: a read-only view of what the page shows, for the
 * end-to-end tests and for curious students in the console. It returns
 * copies; nothing written to it reaches the page.
 */
import type { LaneId, LaneRecord, Progress, RunDefinition } from '../worker/protocol.ts';
import { sharedCharts, lossChart } from './chart-specs.ts';
import type { Playground } from './playground.svelte.ts';

export interface DebugHook {
  /** Every step record per lane. */
  metrics(): Record<LaneId, LaneRecord[]>;
  /**
   * The lines a chart draws (before decimation), by chart id, e.g. "reward" or "loss-rft": each line's
   * raw points and, with smoothing on, the smoothed ones drawn over them. The reward chart has the
   * evaluation graders' lines too.
   */
  chartData(id: string): { label: string; metric: string; points: { x: number; y: number }[]; smoothed: { x: number; y: number }[] | null }[] | null;
  /** The knob changes and lesson events marked on the charts. */
  events(): { step: number; label: string; kind: string }[];
  progress(): Progress;
  /** The run definition the controls show (including changes waiting for Reset). */
  definition(): RunDefinition | null;
  backendBadge(): string | null;
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
      const spec = [...sharedCharts(pg.enabledLanes(), pg.evalGraderNames()), ...(['rft', 'dpo', 'sft'] as const).map(lossChart)].find((c) => c.id === id);
      if (!spec) return null;
      return spec.lines.map((l) => ({
        label: l.label,
        metric: l.metric,
        points: pg.history.points(l.lane, l.metric, pg.budget).map((p) => ({ ...p })),
        smoothed: pg.smoothing > 0 ? pg.history.smoothed(l.lane, l.metric, pg.budget, pg.smoothing).map((p) => ({ ...p })) : null,
      }));
    },
    events: () => pg.events.map((e) => ({ step: e.step, label: e.label, kind: e.kind })),
    progress: () => ({ ...pg.progress }),
    definition: () => structuredClone(pg.definition),
    backendBadge: () => pg.run?.backendBadge ?? null,
  };
  Object.defineProperty(window, '__rftPlayground', { value: Object.freeze(hook), writable: false, configurable: false });
}
