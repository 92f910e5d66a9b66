/**
 * `{{sample.output_text}}` / `{{item.field}}` templates, as in OpenAI's grader JSON.
 * Templates are compiled once into literal pieces and field lookups, because a
 * bench batch renders 65,536 of them.
 */
import type { TaskItem } from '../engine/task.ts';
import { GraderConfigError, type Sample } from './types.ts';

const REFERENCE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const FIELD = /^(sample|item)\.([A-Za-z0-9_]+)$/;

export type RenderFn = (sample: Sample, item: TaskItem) => string;

function text(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Resolves `{{sample.output_text}}` and `{{item.field}}` references; a missing field renders as "". */
export function renderTemplate(template: string, sample: Sample, item: TaskItem): string {
  return template.replace(/\{\{\s*(sample|item)\.([A-Za-z0-9_]+)\s*\}\}/g, (_m, scope: string, field: string) =>
    text(scope === 'sample' ? (sample as unknown as Record<string, unknown>)[field] : item[field]),
  );
}

/**
 * Checks every `{{...}}` in a template and returns a fast renderer.
 * `path` names the template's field for the error message.
 */
export function compileTemplate(template: string, path: string): RenderFn {
  const literals: string[] = [];
  const lookups: { scope: 'sample' | 'item'; field: string }[] = [];
  let last = 0;
  for (const m of template.matchAll(REFERENCE)) {
    const ref = FIELD.exec(m[1]);
    if (!ref) {
      throw new GraderConfigError(
        `${path} = ${JSON.stringify(template)}: unknown reference "${m[0]}"; use {{sample.output_text}} or {{item.<field>}} (e.g. {{item.reference}})`,
        path,
      );
    }
    if (ref[1] === 'sample' && ref[2] !== 'output_text') {
      throw new GraderConfigError(`${path} = ${JSON.stringify(template)}: a sample only has "output_text" ("${m[0]}" is not available here)`, path);
    }
    literals.push(template.slice(last, m.index));
    lookups.push({ scope: ref[1] as 'sample' | 'item', field: ref[2] });
    last = m.index + m[0].length;
  }
  const tail = template.slice(last);
  // The two shapes nearly every grader uses get a direct lookup, without string building.
  if (lookups.length === 1 && literals[0] === '' && tail === '') {
    const { scope, field } = lookups[0];
    return scope === 'sample' ? (s) => s.output_text ?? '' : (_s, item) => text(item[field]);
  }
  if (lookups.length === 0) return () => template;
  return (sample, item) => {
    let out = '';
    for (let k = 0; k < lookups.length; k++) {
      const { scope, field } = lookups[k];
      out += literals[k] + text(scope === 'sample' ? (sample as unknown as Record<string, unknown>)[field] : item[field]);
    }
    return out + tail;
  };
}
