/**
 * OpenAI's `multi`: named sub-graders combined by a `calculate_output` formula,
 * e.g. "0.7 * exact + 0.3 * fuzzy". The formula language (arithmetic and a few math
 * functions over the sub-graders' names; nothing is ever eval'd) is ../formula.ts.
 */
import type { GraderSpec, TaskItem } from '../../engine/task.ts';
import { GraderConfigError, type Grader, type GradeResult, type Sample } from '../types.ts';
import type { SpecReader } from '../spec.ts';
import { compileFormula, FORMULA_FUNCTIONS } from '../formula.ts';
import { checkLengths } from './per-sample.ts';

export { FORMULA_FUNCTIONS };
export type BuildGrader = (spec: GraderSpec, path: string) => Grader;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function multi(r: SpecReader, build: BuildGrader): Grader {
  r.onlyFields(['graders', 'calculate_output']);
  const specs = r.specMap('graders');
  const names = Object.keys(specs);
  if (names.length === 0) r.fail('graders', specs, 'needs at least one named grader');
  for (const n of names) {
    if (!IDENTIFIER.test(n) || (FORMULA_FUNCTIONS as readonly string[]).includes(n) || n === 'PI' || n === 'E') {
      throw new GraderConfigError(
        `${r.fieldPath('graders')}: the name "${n}" cannot be used in a formula; use letters, digits and _ (not starting with a digit, not a function name)`,
        r.fieldPath(`graders.${n}`),
      );
    }
  }
  const formula = r.string('calculate_output', '');
  if (!r.has('calculate_output')) r.fail('calculate_output', undefined, `is required, e.g. "${names.map((n) => `${(1 / names.length).toFixed(2)} * ${n}`).join(' + ')}"`);
  const formulaOf = compileFormula(formula, names, r.fieldPath('calculate_output'));
  const subGraders: Grader[] = [];
  try {
    for (const n of names) subGraders.push(build(specs[n], r.fieldPath(`graders.${n}`)));
  } catch (e) {
    for (const g of subGraders) g.dispose?.();
    throw e;
  }

  return {
    name: r.name(`multi (${formula})`),
    async grade(samples: readonly Sample[], items: readonly TaskItem[]): Promise<GradeResult> {
      checkLengths(samples, items);
      // Sub-graders run concurrently: a custom JS one works in its workers while the templates score here.
      const results = await Promise.all(subGraders.map((g) => g.grade(samples, items)));
      const N = samples.length;
      const scores = new Float64Array(N);
      const failed = new Uint8Array(N);
      let firstError: string | null = null;
      const subScores: Record<string, Float64Array> = {};
      results.forEach((res, k) => {
        subScores[names[k]] = res.scores;
        if (res.errors > 0) firstError ??= `${names[k]}: ${res.firstError ?? 'error'}`;
        // A sample failed by several sub-graders counts once; a grader that does not say which failed is trusted only when all did.
        if (res.failed) for (let i = 0; i < N; i++) failed[i] |= res.failed[i];
        else if (res.errors === N) failed.fill(1);
      });
      const vars: Record<string, number> = {};
      for (let i = 0; i < N; i++) {
        for (let k = 0; k < names.length; k++) vars[names[k]] = results[k].scores[i];
        let v: number;
        try {
          v = formulaOf(vars);
        } catch (e) {
          v = NaN;
          firstError ??= `calculate_output failed on sample ${i}: ${(e as Error).message}`;
        }
        if (Number.isFinite(v)) {
          scores[i] = v;
        } else {
          failed[i] = 1;
          firstError ??= `calculate_output gave ${v} on sample ${i} (${names.map((n) => `${n} = ${vars[n]}`).join(', ')})`;
        }
      }
      let errors = 0;
      for (let i = 0; i < N; i++) {
        if (failed[i]) {
          errors++;
          scores[i] = 0;
        }
      }
      // Sub-graders that failed without saying where still count, at least as many as they reported.
      errors = Math.max(errors, ...results.map((x) => x.errors));
      return { scores, errors, firstError, failed, subScores };
    },
    async prepare() {
      await Promise.all(subGraders.map((g) => g.prepare?.()));
    },
    dispose() {
      for (const g of subGraders) g.dispose?.();
    },
  };
}
