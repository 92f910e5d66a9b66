/** Builds a Grader from a grader configuration (templates, OpenAI grader JSON, custom JS). */
import type { GraderSpec, TaskItem } from '../engine/task.ts';
import { type Grader, GraderConfigError, type GradeResult, type Sample } from './types.ts';

export * from './types.ts';

/** Resolves `{{sample.output_text}}` and `{{item.field}}` references. */
export function renderTemplate(template: string, sample: Sample, item: TaskItem): string {
  return template.replace(/\{\{\s*(sample|item)\.([A-Za-z0-9_]+)\s*\}\}/g, (_m, scope: string, field: string) => {
    const v = scope === 'sample' ? (sample as unknown as Record<string, unknown>)[field] : item[field];
    return v === undefined || v === null ? '' : String(v);
  });
}

function stringCheck(spec: GraderSpec): Grader {
  const op = spec.operation ?? 'eq';
  if (op !== 'eq' && op !== 'ne' && op !== 'like' && op !== 'ilike') {
    throw new GraderConfigError(`grader.operation = ${JSON.stringify(op)}: must be one of "eq", "ne", "like", "ilike"`, 'grader.operation');
  }
  const input = typeof spec.input === 'string' ? spec.input : '{{sample.output_text}}';
  const reference = typeof spec.reference === 'string' ? spec.reference : '{{item.reference}}';
  return {
    name: `string_check (${op})`,
    async grade(samples, items): Promise<GradeResult> {
      const scores = new Float64Array(samples.length);
      for (let i = 0; i < samples.length; i++) {
        const a = renderTemplate(input, samples[i], items[i]);
        const b = renderTemplate(reference, samples[i], items[i]);
        const pass =
          op === 'eq' ? a === b : op === 'ne' ? a !== b : op === 'like' ? a.includes(b) : a.toLowerCase().includes(b.toLowerCase());
        scores[i] = pass ? 1 : 0;
      }
      return { scores, errors: 0, firstError: null };
    },
  };
}

export function createGrader(spec: GraderSpec): Grader {
  if (!spec || typeof spec !== 'object' || typeof spec.type !== 'string') {
    throw new GraderConfigError('grader must be an object with a "type" field', 'grader');
  }
  switch (spec.type) {
    case 'string_check':
      return stringCheck(spec);
    default:
      throw new GraderConfigError(`grader.type = ${JSON.stringify(spec.type)}: unknown grader type`, 'grader.type');
  }
}

/** The exact-match grader most tasks default to. */
export const EXACT_MATCH: GraderSpec = {
  type: 'string_check',
  name: 'exact_match',
  operation: 'eq',
  input: '{{sample.output_text}}',
  reference: '{{item.reference}}',
};
