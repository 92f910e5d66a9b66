import { describe, expect, it } from 'vitest';
import { formatLessonLink, parseLessonLink } from '../../../src/ui/lessons/lesson-link.ts';
import { parseBlocks, parseInline } from '../../../src/ui/lessons/markdown.ts';
import { liveVerdicts } from '../../../src/ui/lessons/live-claims.ts';
import { lessonById, LESSONS } from '../../../src/lessons/index.ts';
import type { RunRecords } from '../../../src/lessons/claims.ts';

describe('lesson links', () => {
  it('round-trips every field', () => {
    const link = { lesson: 'dpo', run: 'beta-small', seed: 7, reveal: true, loadPreset: true };
    expect(formatLessonLink(link)).toBe('#lesson=dpo&run=beta-small&seed=7&reveal=1');
    expect(parseLessonLink(formatLessonLink(link))).toEqual({ link, problems: [] });
  });

  it('is not a lesson link when the hash is empty, an anchor or a share link', () => {
    for (const h of ['', '#', '#main', '#v1=abc']) expect(parseLessonLink(h)).toEqual({ link: null, problems: [] });
  });

  it('drops bad fields with a message that names them, keeping the rest', () => {
    const r = parseLessonLink('#lesson=dpo&seed=-3&run=<script>&reveal=yes');
    expect(r.link).toEqual({ lesson: 'dpo', run: null, seed: null, reveal: false, loadPreset: true });
    expect(r.problems).toHaveLength(3);
    expect(r.problems[0]).toMatch(/run "<script>" is not a run id/);
    expect(r.problems[1]).toMatch(/seed "-3" must be a whole number/);
    expect(r.problems[2]).toMatch(/reveal "yes" must be 0 or 1/);
    expect(parseLessonLink('#lesson=seed=2^32').link?.seed ?? null).toBe(null);
    expect(parseLessonLink('#lesson=a&seed=4294967296').problems[0]).toMatch(/seed/);
  });

  it('refuses a lesson id that could carry markup', () => {
    const r = parseLessonLink('#lesson=%3Cimg%3E');
    expect(r.link).toBeNull();
    expect(r.problems[0]).toMatch(/"<img>" is not a lesson id/);
  });
});

describe('lesson markdown', () => {
  it('splits bold, italic and code without producing HTML', () => {
    expect(parseInline('a **b** *c* `d<e>` f')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'strong', text: 'b' },
      { kind: 'text', text: ' ' },
      { kind: 'em', text: 'c' },
      { kind: 'text', text: ' ' },
      { kind: 'code', text: 'd<e>' },
      { kind: 'text', text: ' f' },
    ]);
  });

  it('reads paragraphs and lists from blank-line separated blocks', () => {
    const blocks = parseBlocks('Intro:\n\n- one\n- **two**\n\nEnd.');
    expect(blocks.map((b) => b.kind)).toEqual(['p', 'ul', 'p']);
    expect(blocks[1]).toEqual({ kind: 'ul', items: [[{ kind: 'text', text: 'one' }], [{ kind: 'strong', text: 'two' }]] });
  });

  it('leaves no stray asterisks or backticks in any lesson', () => {
    for (const lesson of LESSONS) {
      for (const step of lesson.steps) {
        for (const block of parseBlocks(step.body)) {
          const inlines = block.kind === 'p' ? block.inline : block.items.flat();
          for (const i of inlines) if (i.kind === 'text') expect(i.text, `${lesson.id}: ${step.heading}`).not.toMatch(/\*\*|`/);
        }
      }
    }
  });
});

describe('live claim checks', () => {
  const lesson = lessonById('how-rft-works')!;
  const run = lesson.runs[0].id;
  // 300 steps: reward 0 for the first 20 steps, then 1; frac_reward_zero_std 1 at the start.
  const records = (n: number): RunRecords => ({
    [run]: { rft: Array.from({ length: n }, (_, i) => ({ step: i + 1, reward: i < 20 ? 0 : 1, frac_reward_zero_std: i < 20 ? 1 : 0 })) },
  });

  it('waits, saying what to do, until the run is loaded and complete', () => {
    const notLoaded = liveVerdicts(lesson, {}, {});
    expect(notLoaded.every((v) => v.status === 'waiting')).toBe(true);
    expect(notLoaded[0].detail).toMatch(/^Load “RFT on reverse, step by step”/);
    const half = liveVerdicts(lesson, records(150), { [run]: 300 });
    expect(half[0]).toMatchObject({ status: 'waiting', detail: '“RFT on reverse, step by step”: RFT has run 150 of 300 steps.' });
  });

  it('gives the same verdicts as the claims themselves once the run is complete', () => {
    const v = liveVerdicts(lesson, records(300), { [run]: 300 });
    // Independent reading of the three claims: start share 1 ≥ 0.6, start reward 0 ≤ 0.1, end reward 1 ≥ 0.95.
    expect(v.map((x) => x.status)).toEqual(['shown', 'shown', 'shown']);
    const flat: RunRecords = { [run]: { rft: Array.from({ length: 300 }, (_, i) => ({ step: i + 1, reward: 0.5, frac_reward_zero_std: 0.2 })) } };
    expect(liveVerdicts(lesson, flat, { [run]: 300 }).map((x) => x.status)).toEqual(['not-shown', 'not-shown', 'not-shown']);
  });

  it('reports a metric the page did not record as waiting, not as a crash', () => {
    const missing: RunRecords = { [run]: { rft: Array.from({ length: 300 }, (_, i) => ({ step: i + 1, reward: 1 })) } };
    const v = liveVerdicts(lesson, missing, { [run]: 300 });
    expect(v[0].status).toBe('waiting');
    expect(v[0].detail).toMatch(/no metric "frac_reward_zero_std"/);
  });
});
