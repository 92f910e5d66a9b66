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
  /** The datasets a chart draws (before decimation), by chart id, e.g. "reward" or "loss-rft". */
  chartData(id: string): { label: string; points: { x: number; y: number }[] }[] | null;
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
      const spec = [...sharedCharts(pg.enabledLanes()), ...(['rft', 'dpo', 'sft'] as const).map(lossChart)].find((c) => c.id === id);
      if (!spec) return null;
      return spec.lines.map((l) => ({ label: l.label, points: pg.history.points(l.lane, l.metric, pg.budget).map((p) => ({ ...p })) }));
    },
    progress: () => ({ ...pg.progress }),
    definition: () => structuredClone(pg.definition),
    backendBadge: () => pg.run?.backendBadge ?? null,
  };
  Object.defineProperty(window, '__rftPlayground', { value: Object.freeze(hook), writable: false, configurable: false });
}
