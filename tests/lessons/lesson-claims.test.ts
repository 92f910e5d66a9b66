/**
 * Each lesson's preset, run headless on the CPU engine with its fixed seed:
 * what the lesson tells the class must be what its run shows.
 */
import { describe, expect, it } from 'vitest';
import { checkClaims } from '../../src/lessons/claims.ts';
import { LESSONS } from '../../src/lessons/index.ts';
import { runPreset, type RunMemo } from '../../src/lessons/run-preset.ts';
import { taskIds } from '../../src/tasks/index.ts';

describe('every lesson shows what it claims', () => {
  // Lesson 10 shows lesson 9's RFT run beside its own: trained once.
  const memo: RunMemo = new Map();
  it.each(LESSONS.map((l) => [l.number, l.title, l] as const))('lesson %i: %s', async (_n, _title, lesson) => {
    const missing = lesson.runs.map((r) => r.config.task).filter((t): t is string => typeof t === 'string' && !taskIds().includes(t));
    expect(missing, `tasks the lesson needs but the library lacks`).toEqual([]);
    const records = await runPreset(lesson.runs, `lesson ${lesson.number}`, memo);
    const verdicts = checkClaims(lesson.claims, records);
    const failed = verdicts.filter((v) => !v.holds).map((v) => `${v.claim.statement} — ${v.detail}`);
    expect(failed, `claims of lesson ${lesson.number} not shown by its run`).toEqual([]);
    // The transformer lessons (9–11) train for 1–2 minutes each on a loaded CPU.
  }, 6 * 60_000);
});
