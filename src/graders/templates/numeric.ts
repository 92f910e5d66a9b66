/**
 * Numeric answer with tolerance: full credit within `tolerance` of the reference,
 * then credit falling linearly to 0 over the next `partial_credit` units, so
 * "off by one" earns more than "off by five" and the policy gets a gradient.
 */
import type { Grader } from '../types.ts';
import type { SpecReader } from '../spec.ts';
import { compileTemplate } from '../template.ts';
import { perSampleGrader, SampleError } from './per-sample.ts';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number, or null; deliberately stricter than Number() ("", "0x1f", " " are not numbers). */
export function parseNumber(text: string): number | null {
  const t = text.trim();
  return NUMBER.test(t) ? Number(t) : null;
}

/** Credit for a distance: 1 within tolerance, then linear down to 0 over `partial` more units. */
export function numericCredit(distance: number, tolerance: number, partial: number): number {
  if (distance <= tolerance) return 1;
  if (partial <= 0) return 0;
  return Math.max(0, 1 - (distance - tolerance) / partial);
}

export function numeric(r: SpecReader): Grader {
  r.onlyFields(['input', 'reference', 'tolerance', 'partial_credit', 'relative']);
  const input = compileTemplate(r.string('input', '{{sample.output_text}}'), r.fieldPath('input'));
  const reference = compileTemplate(r.string('reference', '{{item.reference}}'), r.fieldPath('reference'));
  const tolerance = r.number('tolerance', 0, { min: 0 });
  const partial = r.number('partial_credit', 0, { min: 0 });
  // relative: distances are fractions of |reference| (0.05 = within 5 %).
  const relative = r.boolean('relative', false);
  return perSampleGrader(r.name(`numeric (±${tolerance}${relative ? ' relative' : ''})`), (s, item) => {
    const refText = reference(s, item);
    const ref = parseNumber(refText);
    if (ref === null) throw new SampleError(`reference ${JSON.stringify(refText)} is not a number`);
    const got = parseNumber(input(s, item));
    if (got === null) return 0; // a non-number answer is a wrong answer, not a grader failure
    const d = Math.abs(got - ref);
    return numericCredit(relative ? d / Math.max(Math.abs(ref), Number.MIN_VALUE) : d, tolerance, partial);
  });
}
