/** Lesson progress survives reloads when storage works, and is never lost in the session when it does not. */
import { describe, expect, it } from 'vitest';
import { createProgressStore, PROGRESS_KEY, quizPassed, type StorageLike } from '../../src/lessons/progress.ts';
import { lessonById } from '../../src/lessons/index.ts';

/** A Storage stand-in with switchable failures. */
class FakeStorage implements StorageLike {
  readonly items = new Map<string, string>();
  failReads: Error | null = null;
  failWrites: Error | null = null;
  getItem(key: string): string | null {
    if (this.failReads) throw this.failReads;
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.failWrites) throw this.failWrites;
    this.items.set(key, value);
  }
}

function quotaError(): Error {
  const e = new Error('The quota has been exceeded.');
  e.name = 'QuotaExceededError';
  return e;
}

describe('progress store', () => {
  it('remembers steps, predictions, quiz answers and completion across a reload', () => {
    const storage = new FakeStorage();
    const a = createProgressStore(storage);
    a.reachStep('dpo', 2);
    a.reachStep('dpo', 1); // going back does not lose the furthest step
    a.predict('dpo', 0, 1);
    a.answerQuiz('dpo', 'dpo-data', 2);
    a.answerQuiz('dpo', 'dpo-data', 0); // the last answer is on record; the first is the one scored
    a.markCompleted('dpo');
    expect(a.status()).toEqual({ persisted: true, problem: null, unreadable: null });

    const b = createProgressStore(storage);
    expect(b.get('dpo')).toEqual({ stepReached: 2, predictions: { '0': 1 }, quiz: { 'dpo-data': 0 }, firstQuiz: { 'dpo-data': 2 }, completed: true });
    expect(b.get('beyond-sft')).toEqual({ stepReached: 0, predictions: {}, quiz: {}, firstQuiz: {}, completed: false });
    b.reset('dpo');
    expect(createProgressStore(storage).all()).toEqual({});
  });

  it('hands out copies, so a caller cannot change the stored progress by accident', () => {
    const s = createProgressStore(new FakeStorage());
    s.answerQuiz('dpo', 'q', 1);
    const p = s.get('dpo');
    p.quiz.q = 2;
    expect(s.get('dpo').quiz.q).toBe(1);
  });

  it('keeps working in memory when storage is full, and saves again once there is room', () => {
    const storage = new FakeStorage();
    const s = createProgressStore(storage);
    storage.failWrites = quotaError();
    s.answerQuiz('reward-hacking', 'best-fix', 2);
    expect(s.get('reward-hacking').quiz['best-fix']).toBe(2);
    expect(s.status()).toEqual({ persisted: false, problem: 'could not save progress (browser storage is full); it is kept until the page is closed', unreadable: null });
    storage.failWrites = null;
    s.reachStep('reward-hacking', 3);
    expect(s.status().persisted).toBe(true);
    expect(createProgressStore(storage).get('reward-hacking')).toMatchObject({ stepReached: 3, quiz: { 'best-fix': 2 } });
  });

  it('works without storage when access throws (disabled storage, sandboxed frame)', () => {
    const s = createProgressStore(() => {
      throw Object.assign(new Error('The operation is insecure.'), { name: 'SecurityError' });
    });
    s.markCompleted('dpo');
    expect(s.get('dpo').completed).toBe(true);
    expect(s.status().persisted).toBe(false);
    expect(s.status().problem).toMatch(/^local storage is disabled \(SecurityError: The operation is insecure\.\)/);
  });

  it('works without storage when reading throws, or when there is none', () => {
    const broken = new FakeStorage();
    broken.failReads = new Error('disk I/O error');
    const s = createProgressStore(broken);
    s.predict('dpo', 0, 0);
    expect(s.get('dpo').predictions).toEqual({ '0': 0 });
    expect(s.status().problem).toMatch(/could not read saved progress \(Error: disk I\/O error\)/);
    expect(broken.items.size).toBe(0); // a store that could not read must not overwrite what it could not see

    const none = createProgressStore(null);
    none.reachStep('dpo', 1);
    expect(none.get('dpo').stepReached).toBe(1);
    expect(none.status().problem).toMatch(/no local storage/);
  });

  it('keeps unreadable saved progress aside instead of overwriting it', () => {
    for (const raw of ['{not json', JSON.stringify({ version: 2, lessons: {} }), JSON.stringify({ version: 1, lessons: { dpo: { stepReached: -1 } } })]) {
      const storage = new FakeStorage();
      storage.items.set(PROGRESS_KEY, raw);
      const s = createProgressStore(storage);
      expect(s.all()).toEqual({});
      expect(storage.items.get(`${PROGRESS_KEY}.unreadable`)).toBe(raw);
      s.reachStep('dpo', 1);
      expect(s.status().unreadable).toMatch(/saved lesson progress could not be read \(.+\); the old data was kept under "rft-playground\.lessons\.v1\.unreadable"/);
      expect(storage.items.get(`${PROGRESS_KEY}.unreadable`)).toBe(raw);
    }
  });

  it('reads saved progress field by field: defaults for missing fields, the bad field named', () => {
    const storage = new FakeStorage();
    storage.items.set(PROGRESS_KEY, JSON.stringify({ version: 1, lessons: { dpo: {}, sft: { stepReached: 3, quiz: { q1: 2 }, completed: true } } }));
    const s = createProgressStore(storage);
    expect(s.all()).toEqual({
      dpo: { stepReached: 0, predictions: {}, quiz: {}, firstQuiz: {}, completed: false },
      sft: { stepReached: 3, predictions: {}, quiz: { q1: 2 }, firstQuiz: { q1: 2 }, completed: true },
    });
    expect(s.status().unreadable).toBeNull();
    const cases: [unknown, string][] = [
      [{ version: 1, lessons: { dpo: { quiz: { q1: 1.5 } } } }, 'lessons.dpo.quiz.q1: expected a whole number ≥ 0'],
      [{ version: 1, lessons: { dpo: { completed: 'yes' } } }, 'lessons.dpo.completed: expected true or false'],
      [{ version: 1, lessons: [] }, 'lessons: expected an object'],
      [[1], '(top level): expected an object'],
    ];
    for (const [file, why] of cases) {
      const bad = new FakeStorage();
      bad.items.set(PROGRESS_KEY, JSON.stringify(file));
      expect(createProgressStore(bad).status().unreadable).toContain(`(${why})`);
    }
  });

  it('counts a quiz as passed only when every last answer is right', () => {
    const lesson = lessonById('dpo')!;
    const s = createProgressStore(null);
    for (const q of lesson.quiz) s.answerQuiz('dpo', q.id, q.choices.findIndex((c) => !c.correct));
    expect(quizPassed(lesson.quiz, s.get('dpo'))).toBe(false);
    for (const q of lesson.quiz) s.answerQuiz('dpo', q.id, q.choices.findIndex((c) => c.correct));
    expect(quizPassed(lesson.quiz, s.get('dpo'))).toBe(true);
    expect(quizPassed(lesson.quiz, createProgressStore(null).get('dpo'))).toBe(false);
  });
});
