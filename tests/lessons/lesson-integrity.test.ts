/** The course as data: complete, consistent, and loadable by the engine without running anything. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config.ts';
import { LESSONS, laneSwitches, lessonById, presetRun } from '../../src/lessons/index.ts';
import type { Claim, MetricRef } from '../../src/lessons/types.ts';
import { taskIds } from '../../src/tasks/index.ts';
import { createGrader } from '../../src/graders/index.ts';
import { HIDE_ID_PATTERN } from '../../src/share/run-state.ts';

function refsOf(c: Claim): MetricRef[] {
  switch (c.kind) {
    case 'greater':
      return [c.of, c.than];
    case 'reaches-sooner':
      return [c.first, c.second];
    default:
      return [c.of];
  }
}

describe('the course', () => {
  it('has the eight lessons of the first issue and the three of issue 18, numbered 1..11 in order, with unique ids', () => {
    expect(LESSONS.map((l) => l.id)).toEqual([
      'beyond-sft',
      'how-rft-works',
      'programmable-graders',
      'reward-hacking',
      'dpo',
      'noisy-demonstrations',
      'collapse-and-leash',
      'when-to-use-each',
      'practice-vs-exam',
      'copying-mistakes',
      'preferred-less-likely',
    ]);
    expect(LESSONS.map((l) => l.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('lesson ids can travel in a teacher link', () => {
    for (const l of LESSONS) expect(l.id, l.id).toMatch(HIDE_ID_PATTERN);
  });

  it('looks lessons and runs up, and says what is missing', () => {
    expect(lessonById('dpo')?.number).toBe(5);
    expect(lessonById('nope')).toBeUndefined();
    expect(presetRun('dpo').id).toBe('aggressive');
    expect(presetRun('dpo', 'noisy').config.preference_noise).toBe(0.2);
    expect(() => presetRun('nope')).toThrow(/unknown lesson "nope" \(lessons: beyond-sft, /);
    expect(() => presetRun('dpo', 'loud')).toThrow(/lesson "dpo" has no run "loud" \(runs: aggressive, conservative, clean, noisy\)/);
    expect(laneSwitches(presetRun('beyond-sft'))).toEqual({ rft: true, dpo: false, sft: true });
  });
});

describe.each(LESSONS.map((l) => [l.number, l] as const))('lesson %i', (_n, lesson) => {
  it('has a narrative, predictions and teacher notes', () => {
    expect(lesson.title.length).toBeGreaterThan(0);
    expect(lesson.summary.length).toBeGreaterThan(0);
    expect(lesson.steps.length).toBeGreaterThanOrEqual(3);
    for (const s of lesson.steps) {
      expect(s.heading.trim(), 'step heading').not.toBe('');
      expect(s.body.trim().length, `body of "${s.heading}"`).toBeGreaterThan(40);
    }
    expect(lesson.predictions.length).toBeGreaterThanOrEqual(1);
    for (const p of lesson.predictions) {
      expect(p.choices.length, p.question).toBeGreaterThanOrEqual(2);
      expect(p.shownByRun, p.question).toBeGreaterThanOrEqual(0);
      expect(p.shownByRun, p.question).toBeLessThan(p.choices.length);
      expect(p.lookFor.trim(), p.question).not.toBe('');
    }
    expect(lesson.teacherNotes.length).toBeGreaterThanOrEqual(2);
  });

  it('has a quiz of at least three questions, each with exactly one correct answer and feedback on every answer', () => {
    expect(lesson.quiz.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lesson.quiz.map((q) => q.id)).size, 'question ids are unique').toBe(lesson.quiz.length);
    for (const q of lesson.quiz) {
      expect(q.choices.length, q.id).toBeGreaterThanOrEqual(3);
      expect(q.choices.filter((c) => c.correct).length, `${q.id}: correct answers`).toBe(1);
      expect(new Set(q.choices.map((c) => c.text)).size, `${q.id}: distinct choices`).toBe(q.choices.length);
      for (const c of q.choices) expect(c.feedback.trim().length, `${q.id}: feedback on "${c.text}"`).toBeGreaterThan(20);
    }
  });

  it('has runs whose configs the engine accepts for every lane, on tasks and graders that exist', () => {
    expect(lesson.runs.length).toBeGreaterThanOrEqual(1);
    expect(new Set(lesson.runs.map((r) => r.id)).size, 'run ids are unique').toBe(lesson.runs.length);
    for (const run of lesson.runs) {
      expect(run.lanes.length, run.id).toBeGreaterThanOrEqual(1);
      expect(taskIds(), `${run.id}: task`).toContain(run.config.task);
      // The page loads a preset as it is and builds all three lanes (any can be switched on): every objective must accept it.
      expect(parseConfig(run.config).ok, `${run.id}: as the page loads it`).toBe(true);
      for (const lane of ['rft', 'dpo', 'sft'] as const) {
        const parsed = parseConfig({ ...run.config, objective: lane });
        expect(parsed.ok ? [] : parsed.errors.map((e) => e.message), `${run.id}/${lane}`).toEqual([]);
        if (parsed.ok && parsed.config.grader) expect(() => createGrader(parsed.config.grader!)).not.toThrow();
        if (parsed.ok) for (const spec of Object.values(parsed.config.eval_graders)) expect(() => createGrader(spec)).not.toThrow();
      }
    }
  });

  it('has claims that refer only to its own runs and their switched-on lanes', () => {
    expect(lesson.claims.length).toBeGreaterThanOrEqual(1);
    for (const claim of lesson.claims) {
      expect(claim.statement.trim(), 'statement').not.toBe('');
      for (const ref of refsOf(claim)) {
        const run = lesson.runs.find((r) => r.id === ref.run);
        expect(run, `${claim.statement}: run "${ref.run}"`).toBeDefined();
        expect(run!.lanes, `${claim.statement}: lane`).toContain(ref.lane);
        expect(ref.metric.length).toBeGreaterThan(0);
      }
    }
  });
});
