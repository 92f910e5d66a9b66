/** Format check: does the (templated) input match a regular expression? */
import type { Grader } from '../types.ts';
import type { SpecReader } from '../spec.ts';
import { compileTemplate } from '../template.ts';
import { perSampleGrader } from './per-sample.ts';

export function regexCheck(r: SpecReader): Grader {
  r.onlyFields(['pattern', 'flags', 'input', 'negate']);
  const pattern = r.string('pattern', '');
  if (!r.has('pattern')) r.fail('pattern', undefined, 'is required, e.g. "^[0-9]+$"');
  const flags = r.string('flags', 'u');
  // g and y make RegExp.test stateful (lastIndex), which would make scores depend on sample order.
  if (!/^[imsuv]*$/.test(flags)) r.fail('flags', flags, 'may only contain i, m, s, u, v (g and y make matching depend on earlier samples)');
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags);
  } catch (e) {
    r.fail('pattern', pattern, `invalid regular expression: ${(e as Error).message}`);
  }
  const input = compileTemplate(r.string('input', '{{sample.output_text}}'), r.fieldPath('input'));
  const negate = r.boolean('negate', false);
  return perSampleGrader(r.name(`regex ${negate ? '!' : ''}/${pattern}/${flags}`), (s, item) => (re.test(input(s, item)) !== negate ? 1 : 0));
}
