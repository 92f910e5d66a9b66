/**
 * The user's work as stored on this device, and its field-by-field
 * validation on load: the same policy as a share link (a bad field is named
 * and dropped, the rest kept), except that this is the user's own work, so
 * their grader code and imported task files apply without asking.
 */
import { defaultConfig, type Config } from '../engine/config.ts';
import { defaultLanes, type LaneSwitches } from './run-state.ts';
import { describeType, FORBIDDEN_KEYS, isPlainObject, showValue } from './safe-json.ts';
import type { ReadResult, WorkStore } from './storage.ts';
import { validateConfigFields, validateLanes } from './validate-run.ts';

/** A data file the user imported, kept as the text they gave (JSONL in the OpenAI formats). */
export interface ImportedText {
  name: string;
  text: string;
}

export interface SavedWork {
  config: Config;
  lanes: LaneSwitches;
  /** What is in the grader editor, applied or not; null = never edited. */
  graderCode: string | null;
  imported: ImportedText[];
}

export type LoadResult =
  | { status: 'empty' }
  /** `problems` name fields that were dropped (their defaults apply). */
  | { status: 'loaded'; work: SavedWork; problems: string[] }
  | { status: 'failed'; message: string };

export function defaultWork(): SavedWork {
  return { config: defaultConfig(), lanes: defaultLanes(), graderCode: null, imported: [] };
}

/** Reads and validates the saved work: what the page calls on start-up. */
export function loadWork(store: Pick<WorkStore, 'read'>): LoadResult {
  return fromRead(store.read());
}

/** Validates a read result (e.g. one read on the main thread and posted to the worker). */
export function fromRead(read: ReadResult): LoadResult {
  return read.status === 'read' ? { status: 'loaded', ...validateWork(read.raw) } : read;
}

const WORK_FIELDS = ['version', 'config', 'lanes', 'graderCode', 'imported'];

/** Field by field; the version was checked by `WorkStore.read`. */
export function validateWork(raw: Record<string, unknown>): { work: SavedWork; problems: string[] } {
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (FORBIDDEN_KEYS.has(key)) problems.push(`saved.${key}: the key "${key}" is not allowed`);
    else if (!WORK_FIELDS.includes(key)) problems.push(`saved.${key}: unknown field (allowed: ${WORK_FIELDS.slice(1).join(', ')})`);
  }
  const config = validateConfigFields(raw.config, { fromLink: false });
  const lanes = validateLanes(raw.lanes, 'saved.lanes');
  problems.push(...config.problems, ...lanes.problems);

  let graderCode: string | null = null;
  if (typeof raw.graderCode === 'string' || raw.graderCode === null) graderCode = raw.graderCode;
  else if (raw.graderCode !== undefined) problems.push(`saved.graderCode = ${showValue(raw.graderCode)}: must be a string or null, not ${describeType(raw.graderCode)}`);

  const imported: ImportedText[] = [];
  if (Array.isArray(raw.imported)) {
    raw.imported.forEach((file: unknown, i) => {
      if (isPlainObject(file) && typeof file.name === 'string' && typeof file.text === 'string') imported.push({ name: file.name, text: file.text });
      else problems.push(`saved.imported.${i}: must be {name, text} with two strings`);
    });
  } else if (raw.imported !== undefined) {
    problems.push(`saved.imported = ${showValue(raw.imported)}: must be an array of files, not ${describeType(raw.imported)}`);
  }
  return { work: { config: config.config, lanes: lanes.lanes, graderCode, imported }, problems };
}
