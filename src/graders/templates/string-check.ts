/** OpenAI's `string_check`: eq / ne / like (contains) / ilike (contains, ignoring case). */
import type { Grader } from '../types.ts';
import type { SpecReader } from '../spec.ts';
import { compileTemplate } from '../template.ts';
import { perSampleGrader } from './per-sample.ts';

const OPERATIONS = ['eq', 'ne', 'like', 'ilike'] as const;

export function stringCheck(r: SpecReader): Grader {
  r.onlyFields(['operation', 'input', 'reference']);
  const op = r.oneOf('operation', OPERATIONS, 'eq');
  const input = compileTemplate(r.string('input', '{{sample.output_text}}'), r.fieldPath('input'));
  const reference = compileTemplate(r.string('reference', '{{item.reference}}'), r.fieldPath('reference'));
  const test: (a: string, b: string) => boolean =
    op === 'eq'
      ? (a, b) => a === b
      : op === 'ne'
        ? (a, b) => a !== b
        : op === 'like'
          ? (a, b) => a.includes(b)
          : (a, b) => a.toLowerCase().includes(b.toLowerCase());
  return perSampleGrader(r.name(`string_check (${op})`), (s, item) => (test(input(s, item), reference(s, item)) ? 1 : 0));
}
