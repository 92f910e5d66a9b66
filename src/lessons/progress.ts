/**
 * Progress through the lessons, kept on this device only (nothing is sent
 * anywhere). The store works over any Storage-like object and keeps working
 * in memory when storage is missing, disabled (private mode, a sandboxed
 * iframe throws on access) or full: a student never loses what they did in
 * this session, and the page can say why progress will not be remembered.
 */

/** The part of the Web Storage API the store uses. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const PROGRESS_KEY = 'rft-playground.lessons.v1';

export interface LessonProgress {
  /** Highest narrative step reached (0-based), so "continue" reopens it. */
  stepReached: number;
  /** Prediction index → choice index, recorded before the reveal. */
  predictions: Record<string, number>;
  /** Quiz question id → the choice index answered last. */
  quiz: Record<string, number>;
  /** Quiz question id → the choice answered first: the one that is scored (later answers are retries). */
  firstQuiz: Record<string, number>;
  completed: boolean;
}

interface ProgressFile {
  version: 1;
  lessons: Record<string, LessonProgress>;
}

/*
 * The saved file is checked by hand rather than with a schema library: it is
 * four fields, and the lessons chunk would otherwise carry its own copy of one.
 * A field that is missing takes its default; one that is present must be right.
 */

class Unreadable extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

function counts(v: unknown, path: string): Record<string, number> {
  if (v === undefined) return {};
  if (!isRecord(v)) throw new Unreadable(`${path}: expected an object`);
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    if (k === '__proto__') continue; // JSON.parse makes it an own key; assigning it would not
    if (!isCount(n)) throw new Unreadable(`${path}.${k}: expected a whole number ≥ 0`);
    out[k] = n;
  }
  return out;
}

function lessonProgress(v: unknown, path: string): LessonProgress {
  if (!isRecord(v)) throw new Unreadable(`${path}: expected an object`);
  if (v.stepReached !== undefined && !isCount(v.stepReached)) throw new Unreadable(`${path}.stepReached: expected a whole number ≥ 0`);
  if (v.completed !== undefined && typeof v.completed !== 'boolean') throw new Unreadable(`${path}.completed: expected true or false`);
  return {
    stepReached: (v.stepReached as number | undefined) ?? 0,
    predictions: counts(v.predictions, `${path}.predictions`),
    quiz: counts(v.quiz, `${path}.quiz`),
    // Saved before first answers were kept: the answer on record is the best guess of the first.
    firstQuiz: v.firstQuiz === undefined ? counts(v.quiz, `${path}.quiz`) : counts(v.firstQuiz, `${path}.firstQuiz`),
    completed: (v.completed as boolean | undefined) ?? false,
  };
}

function progressFile(v: unknown): ProgressFile {
  if (!isRecord(v)) throw new Unreadable('(top level): expected an object');
  if (v.version !== 1) throw new Unreadable(`version: expected 1, got ${JSON.stringify(v.version)}`);
  if (!isRecord(v.lessons)) throw new Unreadable('lessons: expected an object');
  const lessons: Record<string, LessonProgress> = {};
  for (const [id, p] of Object.entries(v.lessons)) if (id !== '__proto__') lessons[id] = lessonProgress(p, `lessons.${id}`);
  return { version: 1, lessons };
}

export interface PersistenceStatus {
  /** True when the last read or write reached storage. */
  persisted: boolean;
  /** Why progress is not being remembered, for the page to show; null when all is well. */
  problem: string | null;
  /** Set for the whole session when saved progress could not be read at start-up (and where it was kept). */
  unreadable: string | null;
}

export interface ProgressStore {
  get(lessonId: string): LessonProgress;
  all(): Readonly<Record<string, LessonProgress>>;
  reachStep(lessonId: string, step: number): void;
  predict(lessonId: string, predictionIndex: number, choice: number): void;
  answerQuiz(lessonId: string, questionId: string, choice: number): void;
  markCompleted(lessonId: string): void;
  /** Forgets one lesson's progress, or all of it. */
  reset(lessonId?: string): void;
  status(): PersistenceStatus;
}

const empty = (): LessonProgress => ({ stepReached: 0, predictions: {}, quiz: {}, firstQuiz: {}, completed: false });

function describeError(e: unknown): string {
  if (e instanceof Error) return e.name === 'QuotaExceededError' ? 'browser storage is full' : `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * `storage` may be a function so that touching `localStorage` (which can throw)
 * happens inside the store's error handling, not at import time.
 */
export function createProgressStore(storage: StorageLike | null | (() => StorageLike | null), key = PROGRESS_KEY): ProgressStore {
  let backend: StorageLike | null = null;
  let status = { persisted: false, problem: null as string | null };
  let unreadable: string | null = null;
  let data: ProgressFile = { version: 1, lessons: {} };

  try {
    backend = typeof storage === 'function' ? storage() : storage;
    if (!backend) status = { persisted: false, problem: 'this browser offers no local storage; progress lasts until the page is closed' };
  } catch (e) {
    status = { persisted: false, problem: `local storage is disabled (${describeError(e)}); progress lasts until the page is closed` };
  }

  if (backend) {
    try {
      const raw = backend.getItem(key);
      status = { persisted: true, problem: null };
      if (raw !== null) data = parseOrKeep(raw, backend, key, (problem) => (unreadable = problem));
    } catch (e) {
      backend = null;
      status = { persisted: false, problem: `could not read saved progress (${describeError(e)}); progress lasts until the page is closed` };
    }
  }

  function save(): void {
    if (!backend) return;
    try {
      backend.setItem(key, JSON.stringify(data));
      status = { persisted: true, problem: null };
    } catch (e) {
      // Keep the backend: a later write may succeed once space is freed.
      status = { persisted: false, problem: `could not save progress (${describeError(e)}); it is kept until the page is closed` };
    }
  }

  function edit(lessonId: string, change: (p: LessonProgress) => void): void {
    const p = data.lessons[lessonId] ?? empty();
    change(p);
    data.lessons[lessonId] = p;
    save();
  }

  return {
    get: (lessonId) => structuredClone(data.lessons[lessonId] ?? empty()),
    all: () => structuredClone(data.lessons),
    reachStep: (lessonId, step) => edit(lessonId, (p) => (p.stepReached = Math.max(p.stepReached, step))),
    predict: (lessonId, index, choice) => edit(lessonId, (p) => (p.predictions[String(index)] = choice)),
    answerQuiz: (lessonId, questionId, choice) =>
      edit(lessonId, (p) => {
        p.quiz[questionId] = choice;
        p.firstQuiz[questionId] ??= choice;
      }),
    markCompleted: (lessonId) => edit(lessonId, (p) => (p.completed = true)),
    reset(lessonId) {
      if (lessonId === undefined) data = { version: 1, lessons: {} };
      else delete data.lessons[lessonId];
      save();
    },
    status: () => ({ ...status, unreadable }),
  };
}

/**
 * Saved progress that cannot be read (edited by hand, from a future version)
 * is copied aside under `<key>.unreadable` before the store starts afresh, so
 * the next save does not destroy it.
 */
function parseOrKeep(raw: string, backend: StorageLike, key: string, report: (problem: string) => void): ProgressFile {
  let why: string;
  try {
    return progressFile(JSON.parse(raw));
  } catch (e) {
    why = e instanceof Unreadable ? e.message : describeError(e);
  }
  let kept = `; the old data was kept under "${key}.unreadable"`;
  try {
    backend.setItem(`${key}.unreadable`, raw);
  } catch {
    kept = '; the old data could not be copied aside and will be replaced on the next save';
  }
  report(`saved lesson progress could not be read (${why})${kept}`);
  return { version: 1, lessons: {} };
}

/** The browser's localStorage, looked up only when called (it throws in some sandboxes). */
export function browserStorage(): StorageLike | null {
  return (globalThis as { localStorage?: StorageLike }).localStorage ?? null;
}

/** A lesson counts as mastered when every quiz question's last answer is the correct one. */
export function quizPassed(quiz: readonly { id: string; choices: readonly { correct: boolean }[] }[], progress: LessonProgress): boolean {
  return quiz.every((q) => {
    const a = progress.quiz[q.id];
    return a !== undefined && q.choices[a]?.correct === true;
  });
}

/** The quiz score: questions whose first answer was right (a right retry shows as a retry, not as a point). */
export function firstTryScore(quiz: readonly { id: string; choices: readonly { correct: boolean }[] }[], progress: LessonProgress): number {
  return quiz.filter((q) => {
    const a = progress.firstQuiz[q.id];
    return a !== undefined && q.choices[a]?.correct === true;
  }).length;
}
