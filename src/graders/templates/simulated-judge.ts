/**
 * A *simulated* LLM judge: a weighted rubric of ordinary graders plus the two
 * flaws real judges have — a bias (here: a taste for longer answers) and noise.
 * It exists to show students reward hacking: with enough length_bias the policy
 * learns to pad its answers instead of getting them right. It never calls a model.
 *
 * The noise is a pure function of (seed, prompt, answer): the same answer always
 * gets the same score, as from a judge with fixed quirks, so runs stay
 * reproducible and resumable — and the quirks themselves can be exploited.
 */
import { drawNormal, Stream } from '../../engine/prng.ts';
import type { GraderSpec, TaskItem } from '../../engine/task.ts';
import { GraderConfigError, type Grader, type GradeResult, type Sample } from '../types.ts';
import { isPlainObject, type SpecReader } from '../spec.ts';
import type { BuildGrader } from './multi.ts';
import { checkLengths } from './per-sample.ts';

const DEFAULT_RUBRIC: Record<string, GraderSpec> = {
  correct: { type: 'text_similarity', evaluation_metric: 'fuzzy_match', input: '{{sample.output_text}}', reference: '{{item.reference}}' },
};

/** FNV-1a over UTF-16 units: a stable u32 key for a string. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

export function simulatedJudge(r: SpecReader, build: BuildGrader): Grader {
  r.onlyFields(['rubric', 'weights', 'length_bias', 'length_cap', 'noise', 'seed']);
  const rubric = r.has('rubric') ? r.specMap('rubric') : DEFAULT_RUBRIC;
  const names = Object.keys(rubric);
  if (names.length === 0) r.fail('rubric', rubric, 'needs at least one named criterion');
  const weightsRaw = r.spec.weights ?? {};
  if (!isPlainObject(weightsRaw)) r.fail('weights', weightsRaw, 'must be an object {criterion: weight}');
  const weights = names.map((n) => {
    const w = (weightsRaw as Record<string, unknown>)[n] ?? 1;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) r.fail(`weights.${n}`, w, 'must be a number ≥ 0');
    return w;
  });
  for (const k of Object.keys(weightsRaw)) {
    if (!names.includes(k)) throw new GraderConfigError(`${r.fieldPath(`weights.${k}`)}: no rubric criterion named "${k}" (criteria: ${names.join(', ')})`, r.fieldPath(`weights.${k}`));
  }
  const weightSum = weights.reduce((a, b) => a + b, 0);
  if (weightSum <= 0) r.fail('weights', weightsRaw, 'at least one weight must be above 0');
  const lengthBias = r.number('length_bias', 0, { min: -1, max: 1 });
  const lengthCap = r.number('length_cap', 8, { min: 1, integer: true });
  const noise = r.number('noise', 0, { min: 0, max: 1 });
  const seed = r.number('seed', 0, { integer: true, min: 0, max: 0xffffffff });

  const traits = [lengthBias > 0 ? 'prefers longer answers' : lengthBias < 0 ? 'prefers shorter answers' : '', noise > 0 ? `noise ${noise}` : '']
    .filter(Boolean)
    .join(', ');
  const given = r.optionalString('name');
  // The label must never let a student mistake this for a real model judge.
  const name = given === undefined ? `simulated judge${traits ? ` (${traits})` : ''}` : /simulated/i.test(given) ? given : `simulated judge: ${given}`;

  const subGraders: Grader[] = [];
  try {
    for (const n of names) subGraders.push(build(rubric[n], r.fieldPath(`rubric.${n}`)));
  } catch (e) {
    for (const g of subGraders) g.dispose?.();
    throw e;
  }

  return {
    name,
    async grade(samples: readonly Sample[], items: readonly TaskItem[]): Promise<GradeResult> {
      checkLengths(samples, items);
      const results = await Promise.all(subGraders.map((g) => g.grade(samples, items)));
      const N = samples.length;
      const scores = new Float64Array(N);
      const lengthBonus = new Float64Array(N);
      const failed = new Uint8Array(N);
      let firstError: string | null = null;
      results.forEach((res, k) => {
        if (res.errors > 0) firstError ??= `${names[k]}: ${res.firstError ?? 'error'}`;
        if (res.failed) for (let i = 0; i < N; i++) failed[i] |= res.failed[i];
        else if (res.errors === N) failed.fill(1);
      });
      let errors = 0;
      for (let i = 0; i < N; i++) {
        if (failed[i]) {
          errors++;
          continue;
        }
        let quality = 0;
        for (let k = 0; k < names.length; k++) quality += weights[k] * results[k].scores[i];
        const text = samples[i].output_text ?? '';
        lengthBonus[i] = lengthBias * Math.min(1, Array.from(text).length / lengthCap);
        const jitter = noise > 0 ? noise * drawNormal(seed, Stream.grader, hashString(items[i].prompt), hashString(text), 0) : 0;
        scores[i] = Math.min(1, Math.max(0, quality / weightSum + lengthBonus[i] + jitter));
      }
      const subScores: Record<string, Float64Array> = { length_bonus: lengthBonus };
      names.forEach((n, k) => (subScores[n] = results[k].scores));
      return { scores, errors: Math.max(errors, ...results.map((x) => x.errors)), firstError, failed, subScores };
    },
    async prepare() {
      await Promise.all(subGraders.map((g) => g.prepare?.()));
    },
    dispose() {
      for (const g of subGraders) g.dispose?.();
    },
  };
}
