/**
 * What crosses between the page and the training worker. Plain data only
 * (structured-clone friendly), so the page imports these types without
 * pulling the engine, zod or the graders into the main bundle.
 */
import type { Config } from '../engine/config.ts';
import type { StepMetrics } from '../engine/lane.ts';
import { LANE_IDS, type LaneId } from '../engine/enums.ts';
export { LANE_IDS, type LaneId };

/**
 * Everything that defines a run: the engine config (the same object the
 * headless trainer reads; `objective` is set per lane) and which lanes are on.
 */
export interface RunDefinition {
  config: Config;
  lanes: Record<LaneId, boolean>;
}

/** A step record as the charts read it: the engine's metrics plus the budget spent so far. */
export type LaneRecord = StepMetrics & {
  /** Answers drawn from the policy and learned from, cumulative. */
  samples_drawn: number;
  /** Labelled training examples consumed (graded prompts, pairs, demonstrations), cumulative. */
  labelled_examples: number;
};

export interface GalleryItem {
  prompt: string;
  text: string;
  score: number;
  /** The prompt is held out: never trained on (its row shows the policy's likeliest answer). */
  heldOut?: boolean;
}

export interface PairItem {
  prompt: string;
  chosen: string;
  rejected: string;
  /** DPO implicit rewards β·(log π − log π_ref) of the chosen and rejected answers. */
  chosenReward: number;
  rejectedReward: number;
}

export interface DemoItem {
  prompt: string;
  demonstration: string;
  /** The policy's most likely answer to the same prompt. */
  policyAnswer: string;
  /** The grader's score of that answer (null when the grader could not score it). */
  policyScore: number | null;
}

/** What the lane card shows besides the charts; refreshed a few times a second. */
export interface LaneSnapshot {
  step: number;
  gallery: GalleryItem[];
  pairs?: PairItem[];
  demos?: DemoItem[];
  /** Held-out prompts with the policy's likeliest (greedy) answer and its score (NaN: the grader could not score it); absent when none are held out. */
  heldOut?: GalleryItem[];
  /** All rewards of the latest step (histogram). */
  rewards: number[];
  /** Probability per position (rows) and token (columns) for the selected prompt. */
  heatmap: number[][];
}

export interface Progress {
  /** Highest step completed by any enabled lane (by any lane when all are off). */
  step: number;
  steps: number;
  /** 0 while paused. */
  stepsPerSecond: number;
  samplesPerSecond: number;
  playing: boolean;
  /** Enabled lanes behind `step` (switched on late: they catch up before the run finishes), with their step. */
  behind?: Partial<Record<LaneId, number>>;
  /** Every enabled lane has completed `steps`: Play and Step do nothing until Steps is raised. */
  finished?: boolean;
}

/** A lane that could not take its step: training pauses and the page explains it. */
export interface LaneFailure {
  lane: LaneId;
  step: number;
  reason: 'diverged' | 'grader' | 'error';
  message: string;
}

export type WorkerEvent =
  | {
      type: 'batch';
      records: Partial<Record<LaneId, LaneRecord[]>>;
      snapshots: Partial<Record<LaneId, LaneSnapshot>>;
      progress: Progress;
    }
  | { type: 'failure'; failure: LaneFailure; progress: Progress }
  | { type: 'finished'; progress: Progress }
  /** A transformer's base model is being pretrained (a run is being built): the progress bar. */
  | { type: 'pretraining'; step: number; maxSteps: number; checkAccuracy: number | null; target: number }
  /** Something the user should know that did not stop training (e.g. the GPU was lost and the run moved to the CPU). */
  | { type: 'notice'; message: string };

export interface TaskInfo {
  id: string;
  title: string;
  description: string;
}

/** What the page needs to render a (re)built run. */
export interface RunInfo {
  definition: RunDefinition;
  taskTitle: string;
  taskDescription: string;
  prompts: string[];
  /** Token labels, EOS first (heatmap columns). */
  tokens: string[];
  maxLen: number;
  demos: { prompt: string; answer: string }[];
  pairs: { prompt: string; chosen: string; rejected: string }[];
  /** The grader in use: the run's own, else the task's. */
  graderName: string;
  /** The task's own grader, what "Task default" means. */
  taskGraderName: string;
  /** "WebGPU (adapter)" or "CPU — reason". */
  backendBadge: string;
  backendKind: 'cpu' | 'webgpu';
  /** Lanes switched off because the task has no data for them, with the reason. */
  laneNotes: Partial<Record<LaneId, string>>;
  /** Names of the imported files the task was built from (empty for a built-in task). */
  importedFiles: string[];
  /** Prompts from this index on are held out: never trained on, evaluated every eval_steps (none when it is prompts.length). */
  heldOutFrom: number;
  /** The policy: its kind, its parameter count and, for a transformer from its base, how the base was pretrained. */
  model: { kind: Config['policy']['kind']; parameters: number; base: { steps: number; checkAccuracy: number; reached: boolean } | null };
  /** Each lane's held-out evaluation of the starting policy, as its step-0 record (eval_* metrics only); set when the run is (re)built. */
  start?: Partial<Record<LaneId, LaneRecord>>;
}

export interface StartInfo {
  tasks: TaskInfo[];
  defaults: RunDefinition;
}

/** Result of a live change: what applied now and what waits for Reset. */
export type UpdateResult =
  /** `rebuilt`: the change needed a new policy and nothing had trained yet, so the run was rebuilt at once (a fresh run). */
  | { ok: true; needsReset: string[]; run: RunInfo | null; rebuilt?: boolean }
  | { ok: false; errors: string[] };

export interface BenchResult {
  score: number;
  subScores: Record<string, number>;
  error: string | null;
}

export interface GraderCheck {
  ok: boolean;
  /** Readable problems; line/column are 1-based when known. */
  problems: { message: string; line?: number; column?: number }[];
}

export interface ImportedFile {
  name: string;
  text: string;
}

/**
 * Before the first step an import rebuilds the run (`run`); during a run it
 * waits for Reset like a Task change: `definition` is the run on the new
 * files and `needsReset` the config paths that wait.
 */
export type ImportResult =
  | { ok: true; run: RunInfo }
  | { ok: true; run: null; definition: RunDefinition; needsReset: string[] }
  | { ok: false; errors: string[] };

/** A run trained headless to its last step (a ghost rebuilt from a share link or a lesson): its records per lane that trained. */
export type RerunResult =
  | { ok: true; definition: RunDefinition; records: Partial<Record<LaneId, LaneRecord[]>> }
  | { ok: false; error: string };

/** "1 prompt", "3 prompts": messages built from counts, shared by the worker and the page. */
export function nounCount(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "A", "A and B", "A, B and C" (duplicates dropped). */
export function listPhrase(items: readonly string[]): string {
  const unique = [...new Set(items)];
  return unique.length <= 1 ? (unique[0] ?? '') : `${unique.slice(0, -1).join(', ')} and ${unique.at(-1)}`;
}
