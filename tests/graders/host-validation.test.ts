/**
 * The host trusts nothing a grading worker sends back (readChunk): shape, one
 * finite number per sample within ±1e6, sample indices in range, capped text.
 * Whatever arrives, the answer is either a checked chunk or one fatal message,
 * never an exception, a NaN that reaches training, or a mislabelled error.
 */
import { describe, expect, it } from 'vitest';
import { readChunk, SCORE_LIMIT } from '../../src/graders/sandboxed-grader.ts';

const ok = (v: unknown) => JSON.stringify(v);

describe('readChunk', () => {
  it('passes a well-formed chunk through', () => {
    expect(readChunk(ok({ scores: [1, 0.5, -2], failed: [], firstError: null }), 3, 0)).toEqual({ scores: Float64Array.from([1, 0.5, -2]), failed: [], errors: 0, firstError: null, subScores: undefined });
  });
  it.each([
    ['not text', 42, /not text/],
    ['not JSON', '{"scores": [1', /not JSON/],
    ['an array', '[1, 2]', /not an object/],
    ['too few scores', ok({ scores: [1], failed: [], firstError: null }), /expected 2 scores/],
    ['failed out of range', ok({ scores: [1, 1], failed: [5], firstError: null }), /failed is not a list of sample indices/],
    ['failed as a string', ok({ scores: [1, 1], failed: 'all', firstError: null }), /failed is not a list/],
    ['firstError as an object', ok({ scores: [1, 1], failed: [], firstError: { toString: 1 } }), /firstError is not text/],
    ['subScores of the wrong length', ok({ scores: [1, 1], failed: [], firstError: null, subScores: { a: [1] } }), /subScores\.a needs 2 numbers/],
  ])('%s: one fatal message naming what is wrong', (_what, text, message) => {
    const r = readChunk(text, 2, 0);
    expect('fatal' in r && r.fatal).toMatch(message);
  });
  it.each([
    ['NaN as text', '"NaN"'],
    ['null (what JSON makes of NaN)', null],
    ['1e308', 1e308],
    ['just past the limit', SCORE_LIMIT * 1.0000001],
    ['a nested array', [1]],
    ['true', true],
  ])('a score of %s is a grader error on that sample, scoring 0, named with its place in the batch', (_what, bad) => {
    const r = readChunk(ok({ scores: [1, bad, 0.25], failed: [], firstError: null }), 3, 100);
    if ('fatal' in r) throw new Error(r.fatal);
    expect(Array.from(r.scores)).toEqual([1, 0, 0.25]);
    expect(r.failed).toEqual([1]);
    expect(r.errors).toBe(1);
    expect(r.firstError).toMatch(/^grader score .* on sample 101 is not a finite number within ±1e\+6$/);
  });
  it('the limits themselves are fine scores', () => {
    const r = readChunk(ok({ scores: [SCORE_LIMIT, -SCORE_LIMIT], failed: [], firstError: null }), 2, 0);
    expect('scores' in r && Array.from(r.scores)).toEqual([SCORE_LIMIT, -SCORE_LIMIT]);
  });
  it('caps message text at about 1 KB, from a fatal or from firstError', () => {
    const long = 'x'.repeat(100_000);
    const fatal = readChunk(ok({ fatal: long }), 1, 0);
    expect('fatal' in fatal && fatal.fatal.length).toBeLessThanOrEqual(1000);
    const chunk = readChunk(ok({ scores: [0], failed: [0], firstError: long }), 1, 0);
    expect('firstError' in chunk && chunk.firstError!.length).toBeLessThanOrEqual(1000);
  });
  it('an error count beyond the failed list is kept, within the chunk', () => {
    const r = readChunk(ok({ scores: [0, 0, 0], failed: [0], firstError: 'x', errors: 3 }), 3, 0);
    expect('errors' in r && r.errors).toBe(3);
    const absurd = readChunk(ok({ scores: [0], failed: [], firstError: null, errors: 1e9 }), 1, 0);
    expect('errors' in absurd && absurd.errors).toBe(0);
  });
});
