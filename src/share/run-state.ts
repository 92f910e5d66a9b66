/**
 * What a share link or a save carries: the engine config (the same object the
 * headless trainer reads), which lanes are on, and the teacher's presentation
 * options. Plain data only, so it crosses to the worker and into JSON as is.
 */
// Types only: this module is imported by zod-free code on the page's main thread (export, summary).
import type { Config } from '../engine/config.ts';

import { LANE_IDS, type LaneId } from '../engine/enums.ts';
export { LANE_IDS, type LaneId };

/** Which lanes train; the page sets `objective` per lane, so the config's own objective matters only headless. */
export type LaneSwitches = Record<LaneId, boolean>;

/**
 * A teacher's link prepares the room: hide controls the class should not touch
 * yet (like TensorFlow Playground's hide flags), start paused, cover the results
 * until the class has made its prediction, and use projector-sized type.
 */
export interface TeacherOptions {
  /** Ids of controls and panels to hide (the page defines the ids; see HIDE_ID_PATTERN). */
  hide: string[];
  /** Open paused instead of training at once. */
  paused: boolean;
  /** Cover charts and samples until someone presses "Reveal", so the class predicts first. */
  reveal: boolean;
  /** Large type and high contrast for a projector. */
  presentation: boolean;
  /** The lesson to open alongside the run, or null. */
  lesson: string | null;
}

/**
 * An earlier run a link names (a ghost on the sender's charts): its label and the run that made it. The
 * link carries the settings, not the curves; the page that opens it trains the run again to draw it.
 */
export interface GhostLink {
  label: string;
  config: Config;
  lanes: LaneSwitches;
}

/** Ghosts a link may name (as many as the page keeps). */
export const MAX_LINK_GHOSTS = 5;
export const MAX_GHOST_LABEL_CHARS = 80;

/** Everything a share link round-trips. `RunDefinition` of the worker protocol is `{config, lanes}` of this. */
export interface ShareState {
  config: Config;
  lanes: LaneSwitches;
  teacher: TeacherOptions;
  /** Earlier runs to rebuild as ghosts; absent or empty for none. */
  ghosts?: GhostLink[];
}

/** Ids of hideable controls, lessons: short, lower-case, no markup possible. */
export const HIDE_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
export const LESSON_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_HIDDEN = 64;

/** Every lane on. */
export function defaultLanes(): LaneSwitches {
  return Object.fromEntries(LANE_IDS.map((id) => [id, true])) as LaneSwitches;
}

export function defaultTeacher(): TeacherOptions {
  return { hide: [], paused: false, reveal: false, presentation: false, lesson: null };
}
