/**
 * The transformer lessons (9–11) claim what their presets show at the preset's seed; CI checks that seed
 * (tests/lessons/lesson-claims.test.ts). Here every claim is checked on two more seeds, each run trained
 * with the preset's config and only the seed changed. About 8 minutes on two loaded cores (7.6 measured).
 */
import { describe, expect, it } from 'vitest';
import { checkClaims } from '../../src/lessons/claims.ts';
import { lessonById } from '../../src/lessons/index.ts';
import { runPreset, type RunMemo } from '../../src/lessons/run-preset.ts';

const LESSON_IDS = ['practice-vs-exam', 'copying-mistakes', 'preferred-less-likely'];
const SEEDS = [0, 1, 2];

describe('the transformer lessons hold on three seeds', () => {
  const memo: RunMemo = new Map();
  it.each(LESSON_IDS.flatMap((id) => SEEDS.map((seed) => [id, seed] as const)))('%s, seed %i', async (id, seed) => {
    const lesson = lessonById(id)!;
    const runs = lesson.runs.map((r) => ({ ...r, config: { ...r.config, seed } }));
    const started = performance.now();
    const records = await runPreset(runs, `${id} seed ${seed}`, memo);
    const verdicts = checkClaims(lesson.claims, records);
    console.log(`[${id} s${seed}] ${((performance.now() - started) / 1000).toFixed(0)} s\n${verdicts.map((v) => `  ${v.holds ? 'ok  ' : 'FAIL'} ${v.claim.statement} — ${v.detail}`).join('\n')}`);
    expect(verdicts.filter((v) => !v.holds).map((v) => `${v.claim.statement} — ${v.detail}`)).toEqual([]);
  });
});
