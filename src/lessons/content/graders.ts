/**
 * Grader specs the lessons use, written out as plain data (the OpenAI grader
 * JSON the config accepts) rather than imported from src/graders, so loading
 * the course does not load the grader machinery.
 */
import type { GraderSpec } from '../../engine/task.ts';

/** Right only if the answer is exactly the reference. */
export const EXACT_MATCH_SPEC: GraderSpec = {
  type: 'string_check',
  name: 'exact_match',
  operation: 'eq',
  input: '{{sample.output_text}}',
  reference: '{{item.reference}}',
};

/** Partial credit: 1 − edit distance / longer length, so "cbb" for "cba" earns 2/3. */
export const FUZZY_MATCH_SPEC: GraderSpec = {
  type: 'text_similarity',
  name: 'fuzzy_match',
  evaluation_metric: 'fuzzy_match',
  input: '{{sample.output_text}}',
  reference: '{{item.reference}}',
};

/** A two-criterion rubric: mostly "exactly right", a little "close". */
export const EXACT_PLUS_CLOSE_RUBRIC: GraderSpec = {
  type: 'multi',
  name: 'rubric',
  graders: { exact: EXACT_MATCH_SPEC, close: FUZZY_MATCH_SPEC },
  calculate_output: '0.7 * exact + 0.3 * close',
};
