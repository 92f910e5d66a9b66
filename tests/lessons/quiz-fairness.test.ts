/**
 * Quizzes that test understanding, not test-taking: the right choice must not
 * stand out by its length, and the score is the first answer (a right retry
 * is shown as a retry, never counted as right).
 */
import { describe, expect, it } from 'vitest';
import { LESSONS } from '../../src/lessons/index.ts';
import { createProgressStore, firstTryScore, quizPassed, type StorageLike } from '../../src/lessons/progress.ts';

const questions = LESSONS.flatMap((l) => l.quiz.map((q) => ({ lesson: l.number, ...q })));
const len = (t: string) => Array.from(t).length;

describe('quiz fairness over every question of every lesson', () => {
  it('has questions to check, each with one correct choice', () => {
    expect(questions.length).toBeGreaterThanOrEqual(20);
    for (const q of questions) expect(q.choices.filter((c) => c.correct), `${q.lesson} ${q.id}`).toHaveLength(1);
  });

  it.each(questions.map((q) => [`${q.lesson} ${q.id}`, q] as const))('%s: the correct choice is about as long as the others', (_name, q) => {
    const right = q.choices.find((c) => c.correct)!;
    const wrong = q.choices.filter((c) => !c.correct).map((c) => len(c.text));
    const mean = wrong.reduce((a, b) => a + b, 0) / wrong.length;
    const ratio = len(right.text) / mean;
    expect(ratio, `“${right.text}” vs ${wrong.join(', ')} characters`).toBeGreaterThanOrEqual(0.7);
    expect(ratio, `“${right.text}” vs ${wrong.join(', ')} characters`).toBeLessThanOrEqual(1.3);
  });

  it('the correct choice is not the longest, nor the shortest, much more often than chance', () => {
    let longest = 0;
    let shortest = 0;
    let chance = 0;
    for (const q of questions) {
      const right = len(q.choices.find((c) => c.correct)!.text);
      const others = q.choices.filter((c) => !c.correct).map((c) => len(c.text));
      if (others.every((o) => right > o)) longest++;
      if (others.every((o) => right < o)) shortest++;
      chance += 1 / q.choices.length;
    }
    // Chance is one in three or four; allow a little over it, never "almost always".
    expect(longest).toBeLessThanOrEqual(Math.ceil(chance * 1.25));
    expect(shortest).toBeLessThanOrEqual(Math.ceil(chance * 1.25));
  });

  it('the correct choice is not always in the same place', () => {
    const places = new Set(questions.map((q) => q.choices.findIndex((c) => c.correct)));
    expect(places.size).toBeGreaterThanOrEqual(3);
  });
});

function memory(): StorageLike {
  const items = new Map<string, string>();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

describe('the quiz score is the first answer', () => {
  const lesson = LESSONS[0];
  const [q1, q2] = lesson.quiz;
  const right = (q: typeof q1) => q.choices.findIndex((c) => c.correct);
  const wrong = (q: typeof q1) => q.choices.findIndex((c) => !c.correct);

  it('a wrong first answer followed by the right one scores 0 for that question, but the retry is kept', () => {
    const store = createProgressStore(memory());
    store.answerQuiz(lesson.id, q1.id, wrong(q1));
    store.answerQuiz(lesson.id, q1.id, right(q1));
    store.answerQuiz(lesson.id, q2.id, right(q2));
    const p = store.get(lesson.id);
    expect(p.firstQuiz[q1.id]).toBe(wrong(q1));
    expect(p.quiz[q1.id]).toBe(right(q1));
    expect(firstTryScore(lesson.quiz, p)).toBe(1);
  });

  it('a right first answer stays scored after a wrong retry', () => {
    const store = createProgressStore(memory());
    store.answerQuiz(lesson.id, q1.id, right(q1));
    store.answerQuiz(lesson.id, q1.id, wrong(q1));
    expect(firstTryScore(lesson.quiz, store.get(lesson.id))).toBe(1);
  });

  it('every question right on the first try scores all, and passes', () => {
    const store = createProgressStore(memory());
    for (const q of lesson.quiz) store.answerQuiz(lesson.id, q.id, right(q));
    const p = store.get(lesson.id);
    expect(firstTryScore(lesson.quiz, p)).toBe(lesson.quiz.length);
    expect(quizPassed(lesson.quiz, p)).toBe(true);
  });
});
