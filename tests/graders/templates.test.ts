/**
 * Built-in templates against scores computed by hand (the arithmetic is in the
 * comments), including empty, Unicode and very long outputs.
 */
import { describe, expect, it } from 'vitest';
import { createGrader, EXACT_MATCH, GraderConfigError, renderTemplate, type GradeResult } from '../../src/graders/index.ts';
import { bleu, fuzzyMatch, rougeL, rougeN } from '../../src/graders/templates/metrics.ts';
import type { GraderSpec, TaskItem } from '../../src/engine/task.ts';

async function grade(spec: GraderSpec, outputs: string[], items: TaskItem[] | TaskItem): Promise<GradeResult> {
  const list = Array.isArray(items) ? items : outputs.map(() => items);
  return createGrader(spec).grade(
    outputs.map((output_text) => ({ output_text })),
    list,
  );
}

async function scores(spec: GraderSpec, outputs: string[], items: TaskItem[] | TaskItem): Promise<number[]> {
  return Array.from((await grade(spec, outputs, items)).scores);
}

const LONG = 'a'.repeat(100_000);

describe('string_check', () => {
  const item = { prompt: 'p', reference: 'Cat' };
  it('eq / ne / like / ilike', async () => {
    const outs = ['Cat', 'cat', 'a Cat!', 'dog', ''];
    expect(await scores({ type: 'string_check', operation: 'eq' }, outs, item)).toEqual([1, 0, 0, 0, 0]);
    expect(await scores({ type: 'string_check', operation: 'ne' }, outs, item)).toEqual([0, 1, 1, 1, 1]);
    expect(await scores({ type: 'string_check', operation: 'like' }, outs, item)).toEqual([1, 0, 1, 0, 0]);
    expect(await scores({ type: 'string_check', operation: 'ilike' }, outs, item)).toEqual([1, 1, 1, 0, 0]);
  });
  it('templates read item fields and literal text; unicode and long outputs', async () => {
    const spec = { type: 'string_check', operation: 'eq', input: 'answer: {{sample.output_text}}', reference: 'answer: {{item.label}}' };
    expect(await scores(spec, ['日本😀', 'x'], { prompt: 'p', label: '日本😀' })).toEqual([1, 0]);
    expect(await scores(EXACT_MATCH, [LONG, LONG + 'b'], { prompt: 'p', reference: LONG })).toEqual([1, 0]);
    expect(await scores(EXACT_MATCH, [''], { prompt: 'p', reference: '' })).toEqual([1]);
    expect(renderTemplate('{{item.a}}+{{ item.b }}={{sample.output_text}}', { output_text: '3' }, { prompt: '', a: 1, b: 2 })).toBe('1+2=3');
  });
  it('rejects a bad operation, naming the field', () => {
    expect(() => createGrader({ type: 'string_check', operation: 'xx' })).toThrow('grader.operation = "xx": must be one of "eq", "ne", "like", "ilike"');
    try {
      createGrader({ type: 'string_check', operation: 'xx' });
    } catch (e) {
      expect(e).toBeInstanceOf(GraderConfigError);
      expect((e as GraderConfigError).path).toBe('grader.operation');
    }
  });
  it('suggests the field a typo meant and rejects unknown template references', () => {
    expect(() => createGrader({ type: 'string_check', operaton: 'eq' })).toThrow('grader.operaton: unknown field for a string_check grader (did you mean "operation"?)');
    expect(() => createGrader({ type: 'string_check', input: '{{output_text}}' })).toThrow('unknown reference "{{output_text}}"');
    expect(() => createGrader({ type: 'string_check', input: '{{sample.text}}' })).toThrow('a sample only has "output_text"');
  });
});

describe('text similarity metrics', () => {
  it('fuzzy_match = 1 − edits / longer length, in code points', () => {
    expect(fuzzyMatch('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 12);
    expect(fuzzyMatch('', '')).toBe(1);
    expect(fuzzyMatch('', 'abc')).toBe(0);
    expect(fuzzyMatch('héllo', 'hello')).toBeCloseTo(0.8, 12);
    // One emoji is one character: "😀a" → "a" is one deletion out of two.
    expect(fuzzyMatch('😀a', 'a')).toBeCloseTo(0.5, 12);
    expect(fuzzyMatch('😀😀', '😁😀')).toBeCloseTo(0.5, 12);
    expect(fuzzyMatch(LONG, 'a')).toBeCloseTo(1 / 100_000, 12);
  });
  it('rouge_n and rouge_l F-measures', () => {
    // the cat sat | the cat sat down: overlap 3, P = 1, R = 3/4 → F = 1.5/1.75
    expect(rougeN('the cat sat', 'the cat sat down', 1)).toBeCloseTo(1.5 / 1.75, 12);
    // bigrams: 2 candidate, 3 reference, 2 shared → P = 1, R = 2/3 → F = 0.8
    expect(rougeN('the cat sat', 'the cat sat down', 2)).toBeCloseTo(0.8, 12);
    // clipping: "the the the" vs "the cat": overlap min(3, 1) = 1 → P = 1/3, R = 1/2 → F = 0.4
    expect(rougeN('the the the', 'the cat', 1)).toBeCloseTo(0.4, 12);
    // LCS of a b c d / a c b d is 3 → P = R = 3/4
    expect(rougeL('a b c d', 'a c b d')).toBeCloseTo(0.75, 12);
    expect(rougeN('', '', 1)).toBe(0);
    expect(rougeN('Ünïcode wörds', 'ünïcode WÖRDS', 1)).toBe(1);
    // Character tokens: "123" and "321" share every character but no bigram.
    expect(rougeN('123', '321', 1, 'chars')).toBe(1);
    expect(rougeN('123', '321', 2, 'chars')).toBe(0);
  });
  it('bleu: precisions, exp smoothing, effective order and brevity penalty', () => {
    expect(bleu('the cat sat on the mat', 'the cat sat on the mat')).toBeCloseTo(1, 12);
    // 2 tokens, both n-gram orders match fully; BP = exp(1 − 6/2)
    expect(bleu('the cat', 'the cat sat on the mat')).toBeCloseTo(Math.exp(-2), 12);
    // unigrams 2/2, bigram 0/1 → smoothed 1/(2·1); geometric mean sqrt(0.5)
    expect(bleu('cat the', 'the cat')).toBeCloseTo(Math.SQRT1_2, 12);
    expect(bleu('', 'the cat')).toBe(0);
  });
  it('text_similarity grader with and without pass_threshold', async () => {
    const item = { prompt: 'p', reference: 'kitten' };
    const raw = await scores({ type: 'text_similarity', evaluation_metric: 'fuzzy_match' }, ['sitting', 'kitten', ''], item);
    expect(raw[0]).toBeCloseTo(1 - 3 / 7, 12);
    expect(raw.slice(1)).toEqual([1, 0]);
    expect(await scores({ type: 'text_similarity', evaluation_metric: 'fuzzy_match', pass_threshold: 0.5 }, ['sitting', 'kitchen', 'x'], item)).toEqual([1, 1, 0]);
    const r1 = await scores({ type: 'text_similarity', evaluation_metric: 'rouge_1', tokens: 'chars' }, ['321'], { prompt: 'p', reference: '123' });
    expect(r1).toEqual([1]);
  });
  it('refuses metrics it cannot compute, saying why', () => {
    expect(() => createGrader({ type: 'text_similarity', evaluation_metric: 'cosine' })).toThrow(/grader.evaluation_metric = "cosine": cosine similarity needs a text-embedding model.*use one of fuzzy_match/);
    expect(() => createGrader({ type: 'text_similarity', evaluation_metric: 'bleu', pass_threshold: 2 })).toThrow('grader.pass_threshold = 2: must be at most 1');
    expect(() => createGrader({ type: 'text_similarity' })).toThrow('grader.evaluation_metric = undefined: is required');
  });
});

describe('numeric', () => {
  const item = { prompt: 'p', reference: '10' };
  it('full credit within tolerance, linear partial credit beyond, 0 for non-numbers', async () => {
    const spec = { type: 'numeric', tolerance: 0.5, partial_credit: 2 };
    // distances 0, 0.5, 1.5 (1 beyond tolerance → 1 − 1/2), 3 (beyond range), not a number ×3
    expect(await scores(spec, ['10', '9.5', '11.5', '13', 'abc', '', '１０'], item)).toEqual([1, 1, 0.5, 0, 0, 0, 0]);
    expect(await scores({ type: 'numeric' }, ['10.0', ' 10 ', '1e1', '10.01'], item)).toEqual([1, 1, 1, 0]);
  });
  it('relative tolerance', async () => {
    // |215 − 200| / 200 = 0.075 ≤ 0.1; |260 − 200| / 200 = 0.3 → 1 − (0.3 − 0.1)/0.4 = 0.5
    expect(await scores({ type: 'numeric', tolerance: 0.1, partial_credit: 0.4, relative: true }, ['215', '260'], { prompt: 'p', reference: '200' })).toEqual([1, 0.5]);
  });
  it('a non-numeric reference is a counted grader error', async () => {
    const r = await grade({ type: 'numeric' }, ['1', '2'], [{ prompt: 'p', reference: '1' }, { prompt: 'q', reference: 'two' }]);
    expect(Array.from(r.scores)).toEqual([1, 0]);
    expect(r.errors).toBe(1);
    expect(r.firstError).toBe('reference "two" is not a number on sample 1');
  });
});

describe('regex', () => {
  it('matches format, with flags and negation', async () => {
    const item = { prompt: 'p' };
    expect(await scores({ type: 'regex', pattern: '^[0-9]+$' }, ['123', '12a', '', LONG.replace(/a/g, '7')], item)).toEqual([1, 0, 0, 1]);
    expect(await scores({ type: 'regex', pattern: '^answer:', flags: 'i' }, ['ANSWER: 3', 'x'], item)).toEqual([1, 0]);
    expect(await scores({ type: 'regex', pattern: '\\p{Emoji_Presentation}', negate: true }, ['ok', 'no 😀'], item)).toEqual([1, 0]);
  });
  it('rejects invalid patterns and stateful flags', () => {
    expect(() => createGrader({ type: 'regex', pattern: '([a-z' })).toThrow(/grader.pattern = "\(\[a-z": invalid regular expression/);
    expect(() => createGrader({ type: 'regex', pattern: 'a', flags: 'g' })).toThrow('grader.flags = "g": may only contain i, m, s, u, v');
    expect(() => createGrader({ type: 'regex' })).toThrow('grader.pattern = undefined: is required');
  });
});

describe('multi', () => {
  const graders = {
    exact: { type: 'string_check', operation: 'eq' },
    fuzzy: { type: 'text_similarity', evaluation_metric: 'fuzzy_match' },
  };
  const item = { prompt: 'p', reference: '13' };
  it('combines named sub-graders by formula and returns sub-scores', async () => {
    const r = await grade({ type: 'multi', graders, calculate_output: '0.5 * exact + 0.5 * fuzzy' }, ['13', '12', ''], item);
    // "12" vs "13": exact 0, fuzzy 1 − 1/2 → 0.25
    expect(Array.from(r.scores)).toEqual([1, 0.25, 0]);
    expect(Array.from(r.subScores!.exact)).toEqual([1, 0, 0]);
    expect(Array.from(r.subScores!.fuzzy)).toEqual([1, 0.5, 0]);
    expect(r.errors).toBe(0);
  });
  it('supports the documented functions and operators', async () => {
    const formula = 'max(exact, fuzzy) ^ 2 + min(abs(-1), floor(1.7)) - ceil(0.2) + sqrt(4) / 2 - exp(0) + log(1) * 3';
    // for "12": max(0, 0.5)^2 = 0.25; + min(1, 1) − 1 + 1 − 1 + 0 = 0.25
    expect(await scores({ type: 'multi', graders, calculate_output: formula }, ['12'], item)).toEqual([0.25]);
  });
  it('a non-finite formula value is a counted error scoring 0', async () => {
    const r = await grade({ type: 'multi', graders, calculate_output: 'log(exact)' }, ['13', '12'], item);
    expect(Array.from(r.scores)).toEqual([0, 0]);
    expect(r.errors).toBe(1);
    expect(r.firstError).toBe('calculate_output gave -Infinity on sample 1 (exact = 0, fuzzy = 0.5)');
  });
  it('rejects bad formulas, names and nested specs with the full path', () => {
    expect(() => createGrader({ type: 'multi', graders, calculate_output: 'exact +' })).toThrow(/^grader.calculate_output = "exact \+": /);
    expect(() => createGrader({ type: 'multi', graders, calculate_output: 'exact * weight' })).toThrow('"weight" is neither a sub-grader (exact, fuzzy) nor an allowed function');
    expect(() => createGrader({ type: 'multi', graders, calculate_output: 'sin(exact)' })).toThrow('"sin" is neither a sub-grader');
    expect(() => createGrader({ type: 'multi', graders, calculate_output: 'random()' })).toThrow('"random" is neither a sub-grader');
    expect(() => createGrader({ type: 'multi', graders, calculate_output: 'exact > 0' })).toThrow(/grader.calculate_output/);
    expect(() => createGrader({ type: 'multi', graders: { 'my-grader': graders.exact }, calculate_output: '1' })).toThrow('the name "my-grader" cannot be used in a formula');
    expect(() =>
      createGrader({ type: 'multi', graders: { fuzzy: { type: 'text_similarity', evaluation_metric: 'meteor' } }, calculate_output: 'fuzzy' }),
    ).toThrow(/^grader.graders.fuzzy.evaluation_metric = "meteor"/);
    expect(() => createGrader({ type: 'multi', graders })).toThrow('grader.calculate_output = undefined: is required, e.g. "0.50 * exact + 0.50 * fuzzy"');
  });
});

describe('simulated judge', () => {
  it('is labelled simulated, whatever its name', () => {
    expect(createGrader({ type: 'simulated_judge', length_bias: 0.3, noise: 0.1 }).name).toBe('simulated judge (prefers longer answers, noise 0.1)');
    expect(createGrader({ type: 'simulated_judge', name: 'GPT judge' }).name).toBe('simulated judge: GPT judge');
    expect(createGrader({ type: 'simulated_judge', name: 'my simulated critic' }).name).toBe('my simulated critic');
  });
  it('rubric quality plus a length bias, clipped to [0, 1]', async () => {
    const r = await grade({ type: 'simulated_judge', length_bias: 0.5, length_cap: 4 }, ['7', '77', '', '7777777'], { prompt: 'p', reference: '7' });
    // "7": fuzzy 1 + 0.5·1/4 → clipped 1; "77": 0.5 + 0.5·2/4 = 0.75; "": 0; "7777777": 1/7 + 0.5·1
    expect(Array.from(r.scores).slice(0, 3)).toEqual([1, 0.75, 0]);
    expect(r.scores[3]).toBeCloseTo(1 / 7 + 0.5, 12);
    expect(Array.from(r.subScores!.length_bonus)).toEqual([0.125, 0.25, 0, 0.5]);
  });
  it('weighted rubric criteria', async () => {
    const rubric = { digits: { type: 'regex', pattern: '^[0-9]+$' }, exact: { type: 'string_check' } };
    // "8": digits 1, exact 0 → (3·1 + 1·0) / 4
    expect(await scores({ type: 'simulated_judge', rubric, weights: { digits: 3, exact: 1 } }, ['8', '7', 'x'], { prompt: 'p', reference: '7' })).toEqual([0.75, 1, 0]);
    expect(() => createGrader({ type: 'simulated_judge', rubric, weights: { digit: 1 } })).toThrow('grader.weights.digit: no rubric criterion named "digit"');
  });
  it('seeded noise: reproducible, centred, with the configured spread', async () => {
    const rubric = { nonEmpty: { type: 'regex', pattern: '^$', negate: true }, never: { type: 'regex', pattern: '^$' } };
    const outputs = Array.from({ length: 4000 }, (_, i) => `x${i}`);
    const spec = { type: 'simulated_judge', rubric, noise: 0.1, seed: 7 };
    const a = await scores(spec, outputs, { prompt: 'p' });
    const b = await scores(spec, outputs, { prompt: 'p' });
    const c = await scores({ ...spec, seed: 8 }, outputs, { prompt: 'p' });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
    // quality is exactly 0.5; noise N(0, 0.1²) never reaches the clip at 0 or 1 here
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(sd - 0.1)).toBeLessThan(0.01);
  });
});

describe('OpenAI grader JSON', () => {
  it('imports string_check, text_similarity and multi objects as OpenAI writes them', async () => {
    const { importOpenAIGrader } = await import('../../src/graders/index.ts');
    const check = { type: 'string_check', name: 'Example string check grader', input: '{{sample.output_text}}', reference: '{{item.label}}', operation: 'eq' };
    const sim = { type: 'text_similarity', name: 'Example text similarity grader', input: '{{sample.output_text}}', reference: '{{item.label}}', pass_threshold: 0.8, evaluation_metric: 'fuzzy_match' };
    const spec = importOpenAIGrader(JSON.stringify({ type: 'multi', name: 'combined', graders: { check, sim }, calculate_output: '0.5 * check + 0.5 * sim' }));
    const g = createGrader(spec);
    expect(g.name).toBe('combined');
    const r = await g.grade([{ output_text: 'hello' }, { output_text: 'hellp' }, { output_text: 'nope' }], Array(3).fill({ prompt: 'p', label: 'hello' }));
    // "hellp": fuzzy 0.8 passes the 0.8 threshold → 0.5·0 + 0.5·1
    expect(Array.from(r.scores)).toEqual([1, 0.5, 0]);
    expect(() => importOpenAIGrader('{"type": "string_check",')).toThrow(/^grader: not valid JSON/);
  });
  it('refuses python, score_model and label_model, saying why and what to use', () => {
    expect(() => createGrader({ type: 'python', source: 'def grade(sample, item): return 1' })).toThrow(/grader.type = "python": Python graders cannot run.*custom JS grader/);
    expect(() => createGrader({ type: 'score_model', model: 'o3-mini' })).toThrow(/grader.type = "score_model": .*offline.*simulated_judge/);
    expect(() => createGrader({ type: 'label_model' })).toThrow(/grader.type = "label_model": .*custom JS grader/);
    expect(() => createGrader({ type: 'nope' })).toThrow('grader.type = "nope": unknown grader type; must be one of "string_check", "text_similarity", "numeric", "regex", "multi", "simulated_judge", "js"');
    expect(() => createGrader({ type: 'score_model' }, 'eval_graders.judge')).toThrow(/^eval_graders.judge.type = "score_model"/);
  });
});
