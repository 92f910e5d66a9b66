/**
 * Ghosts: earlier runs kept on the charts as faint curves, so a comparison
 * (lenient vs fixed grader, β small vs large) is seen in one chart instead of
 * remembered. A ghost is a finished or interrupted run's metric history with
 * the definition that made it and a label saying what differed from the run
 * that replaced it. Plain data and pure functions; the page holds the list.
 */
import type { LaneId, LaneRecord, RunDefinition } from '../worker/protocol.ts';
import { LANE_IDS } from '../worker/protocol.ts';
import { changedPaths } from '../worker/config-diff.ts';
import { knobLabel } from './knobs.ts';

/** At most this many ghosts; the oldest unpinned one makes room for a new one. */
export const MAX_GHOSTS = 5;
/** Longest label shown (a link may carry one; a preset name is shorter). */
export const MAX_GHOST_LABEL = 80;

export interface Ghost {
  /** Unique on the page, in creation order. */
  id: number;
  /** What differed: a preset's name, or the changed knobs with the ghost's values ("KL β 0.5"). */
  label: string;
  definition: RunDefinition;
  /** Step records per lane (only lanes that trained). */
  records: Partial<Record<LaneId, LaneRecord[]>>;
  hidden: boolean;
  /** A pinned ghost is never evicted to make room. */
  pinned: boolean;
  /** Which of GHOST_DASHES it is drawn with: the lowest one free when it was added, so no two ghosts share one. */
  slot: number;
  /** The lesson preset it was, when it was one: lets a lesson find its earlier runs. */
  origin?: { lesson: string; run: string };
}

/** Dash patterns of ghost lines, one per slot: none is used by a lane line, an evaluation line or a mark. */
export const GHOST_DASHES: readonly number[][] = [
  [1, 3],
  [6, 2, 1, 2, 1, 2],
  [12, 4],
  [4, 2, 4, 6],
  [1, 2, 6, 2],
];

export function ghostDash(slot: number): number[] {
  return GHOST_DASHES[((slot % GHOST_DASHES.length) + GHOST_DASHES.length) % GHOST_DASHES.length];
}

/** A knob's value as a label reads it: 0.5, on/off, a grader's name. */
function valueText(value: unknown): string {
  if (typeof value === 'number') return String(Number(value.toPrecision(3)));
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (value === null || value === undefined) return 'default';
  if (typeof value === 'object') {
    const v = value as { name?: unknown; type?: unknown };
    if (typeof v.name === 'string') return v.name.replace(/_/g, ' ');
    if (typeof v.type === 'string') return v.type.replace(/_/g, ' ');
    return 'custom';
  }
  return String(value);
}

/** Paths compared whole (a grader is one change, not a dozen leaves; an imported task is "task"). */
const WHOLE = ['grader', 'task'];
/** Where the page sets per-lane or machine-only fields that say nothing about the experiment. */
const IGNORED = new Set(['objective', 'backend']);

function wholePath(path: string): string {
  const root = path.split('.')[0];
  if (WHOLE.includes(root)) return root;
  if (root === 'eval_graders') return 'eval_graders';
  return path;
}

function readPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** "KL β 0.5", "grader: exact match", "task: add", "lanes: RFT only". */
function describePath(path: string, def: RunDefinition): string {
  const value = readPath(def.config, path);
  if (path === 'grader') return `grader: ${value ? valueText(value) : 'task default'}`;
  if (path === 'task') return `task: ${typeof value === 'string' ? value : 'imported'}`;
  if (path === 'eval_graders') {
    const names = Object.keys((value as Record<string, unknown>) ?? {});
    return `eval graders: ${names.length ? names.join(', ').replace(/_/g, ' ') : 'none'}`;
  }
  return `${knobLabel(path)} ${valueText(value)}`;
}

function lanesText(def: RunDefinition): string {
  const on = LANE_IDS.filter((id) => def.lanes[id]);
  if (on.length === 0) return 'lanes: none';
  return `lanes: ${on.map((id) => id.toUpperCase()).join('+')}${on.length === 1 ? ' only' : ''}`;
}

/**
 * What `ghost` had that `next` does not, in words: each changed knob with the ghost's value, at most
 * three (then "+ N more"). Null when nothing that matters differs (Reset on the same settings).
 */
export function diffLabel(ghost: RunDefinition, next: RunDefinition | null): string | null {
  if (!next) return null;
  const paths = [...new Set(changedPaths(ghost.config, next.config).map(wholePath))].filter((p) => !IGNORED.has(p));
  const parts = paths.map((p) => describePath(p, ghost));
  if (LANE_IDS.some((id) => ghost.lanes[id] !== next.lanes[id])) parts.push(lanesText(ghost));
  if (parts.length === 0) return null;
  const shown = parts.slice(0, 3).join(', ');
  return parts.length > 3 ? `${shown} + ${parts.length - 3} more` : shown;
}

/** The label of a run that is being replaced: its preset's name, else what differed, else "run N". */
export function ghostLabel(ghost: RunDefinition, next: RunDefinition | null, presetName: string | null, ordinal: number): string {
  const label = presetName ?? diffLabel(ghost, next) ?? `run ${ordinal} (same settings)`;
  return label.length > MAX_GHOST_LABEL ? label.slice(0, MAX_GHOST_LABEL - 1) + '…' : label;
}

/** Lanes with at least one record, copied. */
export function recordsOf(history: Record<LaneId, readonly LaneRecord[]>): Partial<Record<LaneId, LaneRecord[]>> {
  const out: Partial<Record<LaneId, LaneRecord[]>> = {};
  for (const id of LANE_IDS) if (history[id]?.length) out[id] = history[id].slice();
  return out;
}

/** Whether a run trained at all: a step-0 record (the starting policy's held-out score) alone is not a run to keep. */
export function hasRecords(records: Partial<Record<LaneId, readonly LaneRecord[]>>): boolean {
  return LANE_IDS.some((id) => records[id]?.some((r) => r.step > 0) ?? false);
}

/** The highest step any lane of the ghost reached. */
export function ghostSteps(ghost: Pick<Ghost, 'records'>): number {
  return Math.max(0, ...LANE_IDS.map((id) => ghost.records[id]?.at(-1)?.step ?? 0));
}

/**
 * `list` with `ghost` added last. Over MAX_GHOSTS the oldest unpinned ghost is dropped; when all are
 * pinned the new one is not kept, and `refused` says why (the page shows it).
 */
export function addGhost(list: readonly Ghost[], ghost: Omit<Ghost, 'slot'>, max = MAX_GHOSTS): { ghosts: Ghost[]; evicted: Ghost | null; refused: string | null } {
  let kept = [...list];
  let evicted: Ghost | null = null;
  if (kept.length >= max) {
    evicted = kept.find((g) => !g.pinned) ?? null;
    if (!evicted) {
      return { ghosts: kept, evicted: null, refused: `“${ghost.label}” was not kept as a ghost: all ${max} ghosts are pinned. Unpin or remove one to keep more.` };
    }
    kept = kept.filter((g) => g !== evicted);
  }
  const used = new Set(kept.map((g) => g.slot));
  let slot = 0;
  while (used.has(slot)) slot++;
  return { ghosts: [...kept, { ...ghost, slot }], evicted, refused: null };
}

/** The same list with one ghost's fields changed (hidden, pinned). */
export function updateGhost(list: readonly Ghost[], id: number, patch: Partial<Pick<Ghost, 'hidden' | 'pinned'>>): Ghost[] {
  return list.map((g) => (g.id === id ? { ...g, ...patch } : g));
}

export function removeGhost(list: readonly Ghost[], id: number): Ghost[] {
  return list.filter((g) => g.id !== id);
}

/** "Clear": every ghost goes, pinned ones too unless `keepPinned`. */
export function clearGhosts(list: readonly Ghost[], keepPinned = false): Ghost[] {
  return keepPinned ? list.filter((g) => g.pinned) : [];
}

/** A ghost line's legend name: "RFT reward — ghost: β 0.5". `lineLabel` is the live line's ("RFT", "RFT · exact_match"). */
export function ghostLineLabel(lineLabel: string, metric: string, laneName: string, ghost: string): string {
  const named = lineLabel === laneName ? `${lineLabel} ${metric}` : lineLabel;
  return `${named} — ghost: ${ghost}`;
}
