/**
 * The user's work on this device: knobs, lane switches, grader code and
 * imported data survive a reload. Browser storage can be full, switched off
 * (private windows, blocked site data) or hold something another version of
 * the page wrote; each case is a result with a message, never an exception,
 * and nothing already stored is overwritten by a failed load.
 *
 * This file only reads and writes text, so the page's main thread (the only
 * place localStorage exists) can use it without the engine's schema; the
 * fields are validated by `saved-work.ts`, here or in the worker.
 */
import type { SavedWork } from './saved-work.ts';
import { describeType, isPlainObject, showValue } from './safe-json.ts';

export const WORK_VERSION = 1;
/** The format version is in the key too, so a future format can sit beside this one while it migrates. */
export const WORK_KEY = `rft-playground/work/v${WORK_VERSION}`;
/** Where an entry that could not be read is moved, so the next save does not overwrite it. */
export const UNREADABLE_KEY = `${WORK_KEY}/unreadable`;

/** The part of the Web Storage API this module uses (localStorage, or a fake in tests). */
export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export type SaveResult =
  | { ok: true; bytes: number; message: null }
  /** Saved without the imported data, which did not fit; the message says what to do. */
  | { ok: true; bytes: number; message: string }
  | { ok: false; message: string };

/** What is stored, read and version-checked but not yet validated field by field (`validateWork`). */
export type ReadResult =
  | { status: 'empty' }
  | { status: 'read'; raw: Record<string, unknown> }
  | { status: 'failed'; message: string };

export type ResetResult = { ok: true } | { ok: false; message: string };

const PROBE_KEY = 'rft-playground/probe';

/**
 * The page's localStorage, or why there is none. Reading `localStorage` itself
 * throws a SecurityError when site data is blocked, and some private modes
 * accept reads but refuse every write, so a write is tried.
 */
export function openBrowserStorage(scope: { localStorage?: Storage } = globalThis as { localStorage?: Storage }): { storage: StorageLike } | { storage: null; reason: string } {
  let storage: Storage | undefined;
  try {
    storage = scope.localStorage;
  } catch (e) {
    return { storage: null, reason: `this browser does not let the page store anything (${errorName(e)}); your changes will last until you close the tab` };
  }
  if (!storage) return { storage: null, reason: 'this browser has no local storage; your changes will last until you close the tab' };
  try {
    storage.setItem(PROBE_KEY, '1');
    storage.removeItem(PROBE_KEY);
  } catch (e) {
    return { storage: null, reason: `this browser refuses to store anything here (${errorName(e)}); your changes will last until you close the tab` };
  }
  return { storage };
}

function errorName(e: unknown): string {
  if (e instanceof Error || (typeof e === 'object' && e !== null && 'name' in e)) return String((e as { name: unknown }).name);
  return String(e);
}

/** Quota errors differ by browser: QuotaExceededError (code 22), Firefox's NS_ERROR_DOM_QUOTA_REACHED (1014). */
export function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { name, code } = e as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22 || code === 1014;
}

const kilobytes = (chars: number) => `${Math.max(1, Math.round((chars * 2) / 1024))} KB`;

export class WorkStore {
  constructor(
    private readonly storage: StorageLike | null,
    /** Why there is no storage (from `openBrowserStorage`), said on every save. */
    private readonly unavailableReason = 'there is no storage',
    private readonly key = WORK_KEY,
  ) {}

  get available(): boolean {
    return this.storage !== null;
  }

  /**
   * Saves the work. When it does not fit, the imported data (by far the
   * largest part) is left out and the rest saved, and the message says so;
   * the data is still in the page, only not on disk.
   */
  save(work: SavedWork): SaveResult {
    if (!this.storage) return { ok: false, message: `Not saved: ${this.unavailableReason}.` };
    // Fields listed one by one: anything else the page keeps on the same object is not ours to store.
    const entry = { version: WORK_VERSION, config: work.config, lanes: work.lanes, graderCode: work.graderCode, imported: work.imported };
    const full = JSON.stringify(entry);
    const first = this.write(full);
    if (first === 'ok') return { ok: true, bytes: full.length * 2, message: null };
    if (first !== 'quota') return { ok: false, message: `Not saved: the browser refused (${first}).` };
    if (work.imported.length > 0) {
      const lean = JSON.stringify({ ...entry, imported: [] });
      const second = this.write(lean);
      if (second === 'ok') {
        const dataChars = work.imported.reduce((n, f) => n + f.text.length, 0);
        return {
          ok: true,
          bytes: lean.length * 2,
          message: `Saved the knobs and grader code, but not the imported data (${kilobytes(dataChars)}): browser storage is full. Import the files again after a reload.`,
        };
      }
    }
    return { ok: false, message: `Not saved: browser storage is full (this work needs ${kilobytes(full.length)}). Export the config to keep it.` };
  }

  private write(text: string): 'ok' | 'quota' | string {
    try {
      this.storage!.setItem(this.key, text);
      return 'ok';
    } catch (e) {
      return isQuotaError(e) ? 'quota' : errorName(e);
    }
  }

  /** Reads the saved entry and checks its format version; `loadWork` (saved-work.ts) also validates the fields. */
  read(): ReadResult {
    if (!this.storage) return { status: 'failed', message: `Nothing loaded: ${this.unavailableReason}.` };
    let text: string | null;
    try {
      text = this.storage.getItem(this.key);
    } catch (e) {
      return { status: 'failed', message: `Nothing loaded: the browser refused to read storage (${errorName(e)}).` };
    }
    if (text === null) return { status: 'empty' };
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return { status: 'failed', message: this.setAside(text, `the saved work is not valid JSON (${(e as Error).message})`) };
    }
    if (!isPlainObject(raw)) return { status: 'failed', message: this.setAside(text, `the saved work is ${describeType(raw)}, not an object`) };
    if (typeof raw.version === 'number' && raw.version > WORK_VERSION) {
      // Left where it is: the newer page that wrote it can still read it.
      return { status: 'failed', message: `The saved work was written by a newer version of the playground (format ${raw.version}); it is left untouched and the defaults are open.` };
    }
    if (raw.version !== WORK_VERSION) return { status: 'failed', message: this.setAside(text, `the saved work has format ${showValue(raw.version)}, not ${WORK_VERSION}`) };
    return { status: 'read', raw };
  }

  /** Moves an unreadable entry aside so the next save does not destroy it; returns the message for the user. */
  private setAside(text: string, why: string): string {
    try {
      this.storage!.setItem(UNREADABLE_KEY, text);
      this.storage!.removeItem(this.key);
      return `Could not load your saved work: ${why}. It was kept under "${UNREADABLE_KEY}" in this site's storage; the defaults are open.`;
    } catch {
      return `Could not load your saved work: ${why}. The defaults are open; the entry is left as it was until you save.`;
    }
  }

  /** Deletes the saved work (the page asks first: RestoreDefaults.svelte). */
  reset(): ResetResult {
    if (!this.storage) return { ok: true };
    try {
      this.storage.removeItem(this.key);
      return { ok: true };
    } catch (e) {
      return { ok: false, message: `Could not delete the saved work (${errorName(e)}).` };
    }
  }
}
