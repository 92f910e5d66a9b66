/**
 * Builds a Grader from a grader configuration: a built-in template, an OpenAI
 * grader JSON object, or `{ "type": "js", "source": "..." }`.
 *
 * createGrader is synchronous (the engine's makeLane calls it) and checks the
 * whole spec, custom source syntax included; workers start on the first grade.
 * validateGrader also loads custom code, for the editor and the CLI.
 */
import type { GraderSpec } from '../engine/task.ts';
import { jsGrader } from './js-grader.ts';
import { isPlainObject, show, SpecReader } from './spec.ts';
import { multi } from './templates/multi.ts';
import { numeric } from './templates/numeric.ts';
import { regexCheck } from './templates/regex.ts';
import { simulatedJudge } from './templates/simulated-judge.ts';
import { stringCheck } from './templates/string-check.ts';
import { textSimilarity } from './templates/text-similarity.ts';
import { type Grader, GraderConfigError } from './types.ts';

export * from './types.ts';
export { renderTemplate, compileTemplate } from './template.ts';
export { checkSource, formatProblem, locateSourceProblems, type SourceProblem } from './check-source.ts';
export { GRADER_CSP, GRADER_CSP_INLINE_SCRIPTS } from './sandbox/csp.ts';
export { JS_DEFAULT_TIMEOUT_MS, JS_DEFAULT_MEMORY_MB } from './js-grader.ts';
export { SIMILARITY_METRICS } from './templates/text-similarity.ts';
export { FORMULA_FUNCTIONS } from './templates/multi.ts';

/** Every grader type createGrader builds. */
export const GRADER_TYPES = ['string_check', 'text_similarity', 'numeric', 'regex', 'multi', 'simulated_judge', 'js'] as const;

/** OpenAI grader types that cannot run here, and what to do instead. */
const REFUSED: Record<string, string> = {
  python:
    'Python graders cannot run in this playground (there is no Python interpreter in the browser); ' +
    'port it to a custom JS grader: {"type": "js", "source": "function grade(sample, item) { ... }"} has the same grade(sample, item) signature',
  score_model:
    'score_model graders call a hosted LLM, and this playground is offline with no such model; ' +
    'use "simulated_judge" (a rubric with configurable bias and noise) or a custom JS grader',
  label_model:
    'label_model graders call a hosted LLM, and this playground is offline with no such model; ' +
    'use "string_check" / "multi" on the answer, or a custom JS grader that returns a label score',
  endpoint: 'endpoint graders call a web service, and graders here have no network access; use a custom JS grader',
};

/**
 * A ready grader for `spec`. Throws GraderConfigError naming the bad field
 * (`path` is where the spec sits, e.g. "grader" or "eval_graders.fuzzy").
 */
export function createGrader(spec: GraderSpec, path = 'grader'): Grader {
  if (!isPlainObject(spec)) throw new GraderConfigError(`${path} = ${show(spec)}: must be an object with a "type" field`, path);
  if (typeof spec.type !== 'string') {
    throw new GraderConfigError(`${path}.type = ${show(spec.type)}: must be one of ${GRADER_TYPES.map((t) => JSON.stringify(t)).join(', ')}`, `${path}.type`);
  }
  const r = new SpecReader(spec, path);
  switch (spec.type) {
    case 'string_check':
      return stringCheck(r);
    case 'text_similarity':
      return textSimilarity(r);
    case 'numeric':
      return numeric(r);
    case 'regex':
      return regexCheck(r);
    case 'multi':
      return multi(r, createGrader);
    case 'simulated_judge':
      return simulatedJudge(r, createGrader);
    case 'js':
      return jsGrader(r);
    default: {
      const why = REFUSED[spec.type];
      if (why) throw new GraderConfigError(`${path}.type = ${JSON.stringify(spec.type)}: ${why}`, `${path}.type`);
      throw new GraderConfigError(
        `${path}.type = ${JSON.stringify(spec.type)}: unknown grader type; must be one of ${GRADER_TYPES.map((t) => JSON.stringify(t)).join(', ')}`,
        `${path}.type`,
      );
    }
  }
}

export type GraderValidation = { ok: true; name: string } | { ok: false; message: string; path: string };

/**
 * Everything createGrader checks, plus loading custom JS in a sandbox (top-level
 * errors, a missing grade function), without grading anything. For the editor's
 * "check" button and the CLI before training starts.
 */
export async function validateGrader(spec: GraderSpec, path = 'grader'): Promise<GraderValidation> {
  let grader: Grader;
  try {
    grader = createGrader(spec, path);
  } catch (e) {
    if (e instanceof GraderConfigError) return { ok: false, message: e.message, path: e.path };
    throw e;
  }
  try {
    await grader.prepare?.();
    return { ok: true, name: grader.name };
  } catch (e) {
    if (e instanceof GraderConfigError) return { ok: false, message: e.message, path: e.path };
    throw e;
  } finally {
    grader.dispose?.();
  }
}

/**
 * Reads an OpenAI grader JSON object (or its text), checks it and returns it as
 * a spec for the trainer's `grader` field. OpenAI requires `name`; it is kept.
 */
export function importOpenAIGrader(json: string | unknown, path = 'grader'): GraderSpec {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new GraderConfigError(`${path}: not valid JSON: ${(e as Error).message}`, path);
    }
  }
  const spec = value as GraderSpec;
  createGrader(spec, path).dispose?.();
  return spec;
}

/** The exact-match grader most tasks default to. */
export const EXACT_MATCH: GraderSpec = {
  type: 'string_check',
  name: 'exact_match',
  operation: 'eq',
  input: '{{sample.output_text}}',
  reference: '{{item.reference}}',
};
