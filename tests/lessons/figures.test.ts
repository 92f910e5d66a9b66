/** Every claim of the course is drawn inline in the step that makes it, one line per run, lane and metric it compares. */
import { describe, expect, it } from 'vitest';
import { claimRefs, figuresForStep, lessonFigures } from '../../src/lessons/figures.ts';
import { LESSONS, lessonById } from '../../src/lessons/index.ts';

describe('inline lesson figures', () => {
  for (const lesson of LESSONS) {
    it(`${lesson.id}: every claim names a step and is drawn there with each series it checks`, () => {
      const figures = lessonFigures(lesson);
      lesson.claims.forEach((claim, i) => {
        expect(claim.step, `claim ${i} “${claim.statement}” names no step`).toBeTypeOf('number');
        expect(claim.step!).toBeGreaterThanOrEqual(0);
        expect(claim.step!).toBeLessThan(lesson.steps.length);
        const mine = figures.filter((f) => f.claims.includes(i));
        expect(mine.length, claim.statement).toBeGreaterThan(0);
        for (const f of mine) expect(f.step).toBe(claim.step);
        for (const ref of claimRefs(claim)) {
          expect(mine.some((f) => f.lines.some((l) => l.run === ref.run && l.lane === ref.lane && l.metric === ref.metric)), `${ref.run}/${ref.lane}/${ref.metric}`).toBe(true);
          expect(lesson.runs.some((r) => r.id === ref.run)).toBe(true);
        }
      });
      for (const f of figures) {
        // Lines are told apart by colour and by dash, and each has a name.
        expect(new Set(f.lines.map((l) => l.color)).size).toBe(f.lines.length);
        expect(new Set(f.lines.map((l) => l.dash.join())).size).toBe(f.lines.length);
        for (const l of f.lines) expect(l.label.length).toBeGreaterThan(0);
      }
    });
  }

  it('gives a run one look across a lesson\'s figures (the leash step\'s entropy and KL figures agree)', () => {
    for (const lesson of LESSONS) {
      const look = new Map<string, string>();
      for (const f of lessonFigures(lesson)) {
        if (new Set(f.lines.map((l) => l.run)).size < 2 || new Set(f.lines.map((l) => l.metric)).size > 1) continue;
        for (const l of f.lines) {
          const key = `${l.run}/${l.lane}`;
          const seen = look.get(key);
          if (seen) expect(`${l.color} ${l.dash.join()}`, `${lesson.id}: ${key} in ${f.id}`).toBe(seen);
          else look.set(key, `${l.color} ${l.dash.join()}`);
        }
      }
    }
  });

  it('puts reward and the true metric of the reward-hacking run in one figure, on the 0–1 axis', () => {
    const lesson = lessonById('reward-hacking')!;
    const [fig] = figuresForStep(lesson, 2);
    expect(fig.lines.map((l) => l.metric)).toEqual(['reward', 'rewards/exact_match']);
    expect(fig.lines.map((l) => l.label)).toEqual(['reward', 'exact match']);
    expect([fig.yMin, fig.yMax]).toEqual([0, 1]);
    expect(fig.claims).toEqual([0, 1]);
  });

  it('shows entropy with and without the leash in one figure, KL in another', () => {
    const lesson = lessonById('collapse-and-leash')!;
    const figs = figuresForStep(lesson, 2);
    expect(figs.map((f) => f.title)).toEqual(['Entropy', 'KL to the starting policy']);
    expect(figs[0].lines.map((l) => l.label)).toEqual(['KL leash: rft.beta = 0.1', 'No leash']);
  });

  it('draws practice and held-out reward on one 0–1 axis, sampled beside greedy, and the copy rates on their own axis from 0', () => {
    const exam = lessonById('practice-vs-exam')!;
    const [practice] = figuresForStep(exam, 1);
    expect(practice.title).toBe('Practice and held-out reward');
    expect(practice.lines.map((l) => [l.metric, l.label])).toEqual([
      ['reward', 'reward'],
      ['eval_reward', 'held-out reward'],
    ]);
    expect([practice.yMin, practice.yMax]).toEqual([0, 1]);
    const [greedy] = figuresForStep(exam, 3);
    expect(greedy.title).toBe('Held-out reward');
    expect(greedy.lines.map((l) => l.metric).sort()).toEqual(['eval_reward', 'eval_reward_greedy']);
    const copies = figuresForStep(lessonById('copying-mistakes')!, 3).find((f) => f.lines[0].metric === 'eval_copy_rate')!;
    expect([copies.yMin, copies.yMax]).toEqual([0, undefined]);
    // One lane per run: the run's name says which lane, so the legend does not repeat it.
    expect(copies.lines.map((l) => l.label)).toEqual(['SFT: 30 % of demonstrations off by one', 'RFT: a correct grader, no demonstrations']);
  });
});
