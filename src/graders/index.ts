/**
 * Builds a Grader from a grader configuration: a built-in template, an OpenAI
 * grader JSON object, or `{ "type": "js", "source": "..." }`.
 *
 * createGrader is synchronous (the engine's makeLane calls it) and checks the
 * whole spec, custom source syntax included; workers start on the first grade.
 * validateGrader also loads custom code, for the editor and the CLI.
 */
import type { GraderSpec } from '../engine/task.ts';
import { buildGrader, jsFields, JS_DEFAULT_MEMORY_MB, TEMPLATE_TIMEOUT_MS } from './build.ts';
import { SandboxedGrader, type SandboxLimits } from './sandboxed-grader.ts';
import type { SpecReader } from './spec.ts';
import { type Grader, GraderConfigError } from './types.ts';

export * from './types.ts';
export { renderTemplate, compileTemplate } from './template.ts';
export { checkSource, formatProblem, locateSourceProblems, type SourceProblem } from './check-source.ts';
export { GRADER_CSP, GRADER_CSP_INLINE_SCRIPTS } from './sandbox/csp.ts';
export { GRADER_TYPES, JS_DEFAULT_TIMEOUT_MS, JS_DEFAULT_MEMORY_MB, TEMPLATE_TIMEOUT_MS } from './build.ts';
export { SCORE_LIMIT } from './sandboxed-grader.ts';
export { SIMILARITY_METRICS } from './templates/text-similarity.ts';
export { FORMULA_FUNCTIONS } from './templates/multi.ts';

/**
 * A ready grader for `spec`. Throws GraderConfigError naming the bad field
 * (`path` is where the spec sits, e.g. "grader" or "eval_graders.fuzzy").
 *
 * The whole spec is checked here, synchronously (custom source syntax
 * included); the grader itself runs in a grading worker with a time limit
 * (sandboxed-grader.ts), started on the first batch.
 */
export function createGrader(spec: GraderSpec, path = 'grader'): Grader {
  const limits: SandboxLimits = { timeoutMs: TEMPLATE_TIMEOUT_MS, memoryMb: JS_DEFAULT_MEMORY_MB, maxWorkers: 1, chunked: false, needsVm: false };
  let jsCount = 0;
  let sourcePath = path;
  // The host never runs custom code: a js spec is only read and its syntax checked.
  const checkOnly = (r: SpecReader): Grader => {
    const f = jsFields(r);
    jsCount++;
    sourcePath = r.fieldPath('source');
    limits.needsVm = true;
    limits.timeoutMs = jsCount === 1 ? f.timeoutMs : Math.max(limits.timeoutMs, f.timeoutMs);
    limits.memoryMb = jsCount === 1 ? f.memoryMb : Math.max(limits.memoryMb, f.memoryMb);
    limits.maxWorkers = f.maxWorkers;
    return { name: f.name, grade: () => Promise.reject(new Error('not graded on the host')) };
  };
  const checked = buildGrader(spec, path, checkOnly);
  checked.dispose?.();
  // A plain custom grader names its samples itself, so its batches can be split over workers.
  limits.chunked = (spec as { type?: unknown }).type === 'js';
  return new SandboxedGrader(spec, checked.name, limits, path, limits.chunked ? sourcePath : path);
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
