/**
 * Builds a grader from its spec, in-process. The host calls it to check a spec
 * (every field, custom source syntax included) and the grading workers call it
 * to build the grader they run; only what becomes of custom JS differs, so it
 * is passed in (`js`): a spec-only check on the host, a QuickJS VM in a worker.
 */
import type { GraderSpec } from '../engine/task.ts';
import { checkSource, formatProblem } from './check-source.ts';
import { isPlainObject, show, SpecReader } from './spec.ts';
import { multi } from './templates/multi.ts';
import { numeric } from './templates/numeric.ts';
import { regexCheck } from './templates/regex.ts';
import { simulatedJudge } from './templates/simulated-judge.ts';
import { stringCheck } from './templates/string-check.ts';
import { textSimilarity } from './templates/text-similarity.ts';
import { type Grader, GraderConfigError } from './types.ts';

export const JS_DEFAULT_TIMEOUT_MS = 2000;
export const JS_DEFAULT_MEMORY_MB = 256;
/**
 * The VM's allocation limit is a 32-bit signed byte count inside the wasm module, and the module's own
 * memory tops out near 2 GB: 1 GB is the largest limit the VM can honour exactly.
 */
export const JS_MAX_MEMORY_MB = 1024;
/** A grader is a few dozen lines; a longer source is not one, and checking it would cost the host time. */
export const MAX_SOURCE_CHARS = 100_000;
/** A batch of templates gets this long before it counts as hung (templates have no timeout_ms of their own). */
export const TEMPLATE_TIMEOUT_MS = 2000;

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

/** What becomes of a `{ type: "js" }` spec. */
export type JsFactory = (r: SpecReader) => Grader;

export function buildGrader(spec: GraderSpec, path: string, js: JsFactory): Grader {
  if (!isPlainObject(spec)) throw new GraderConfigError(`${path} = ${show(spec)}: must be an object with a "type" field`, path);
  if (typeof spec.type !== 'string') {
    throw new GraderConfigError(`${path}.type = ${show(spec.type)}: must be one of ${GRADER_TYPES.map((t) => JSON.stringify(t)).join(', ')}`, `${path}.type`);
  }
  const r = new SpecReader(spec, path);
  const child = (s: GraderSpec, p: string) => buildGrader(s, p, js);
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
      return multi(r, child);
    case 'simulated_judge':
      return simulatedJudge(r, child);
    case 'js':
      return js(r);
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

export interface JsFields {
  name: string;
  source: string;
  timeoutMs: number;
  memoryMb: number;
  /** Upper bound on workers; the pool also stops at the platform's core count. */
  maxWorkers: number;
}

/** `{ type: "js", source, timeout_ms?, memory_mb?, workers? }`, checked; syntax errors are caught here, before training. */
export function jsFields(r: SpecReader): JsFields {
  r.onlyFields(['source', 'timeout_ms', 'memory_mb', 'workers']);
  if (typeof r.spec.source !== 'string') r.fail('source', r.spec.source, 'must be the grader\'s JavaScript source, e.g. "function grade(sample, item) { return 1; }"');
  const source = r.spec.source as string;
  if (source.length > MAX_SOURCE_CHARS) {
    throw new GraderConfigError(`${r.fieldPath('source')}: the source has ${source.length} characters; a grader's source may have at most ${MAX_SOURCE_CHARS}`, r.fieldPath('source'));
  }
  const problems = checkSource(source);
  if (problems.length > 0) throw new GraderConfigError(`${r.fieldPath('source')}: ${formatProblem(problems[0])}`, r.fieldPath('source'));
  return {
    name: r.optionalString('name') ?? 'custom JS grader',
    source,
    timeoutMs: r.number('timeout_ms', JS_DEFAULT_TIMEOUT_MS, { min: 10, max: 600_000 }),
    memoryMb: r.number('memory_mb', JS_DEFAULT_MEMORY_MB, { min: 16, max: JS_MAX_MEMORY_MB, integer: true }),
    maxWorkers: r.number('workers', 64, { min: 1, max: 256, integer: true }),
  };
}
