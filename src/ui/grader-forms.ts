/**
 * The grader picker's templates: a starting spec for each (OpenAI grader JSON
 * names) and the fields shown as a form. Specs are interpreted and validated
 * by src/graders in the worker; this file only knows how to edit them.
 */
import type { GraderSpec } from '../engine/task.ts';

export interface GraderField {
  name: string;
  label: string;
  kind: 'text' | 'number' | 'select';
  options?: readonly string[];
  help: string;
}

export interface GraderTemplate {
  type: string;
  title: string;
  help: string;
  initial: GraderSpec;
  fields: readonly GraderField[];
}

const INPUT: GraderField = { name: 'input', label: 'Input', kind: 'text', help: 'What is graded; {{sample.output_text}} is the answer.' };
const REFERENCE: GraderField = { name: 'reference', label: 'Reference', kind: 'text', help: 'What it is compared with; {{item.reference}} is the task’s answer.' };

export const DEFAULT_JS_SOURCE = `// Score one answer from 0 (wrong) to 1 (right).
// sample.output_text is the policy's answer; item holds the prompt and reference.
function grade(sample, item) {
  return sample.output_text === item.reference ? 1 : 0;
}
`;

export const GRADER_TEMPLATES: readonly GraderTemplate[] = [
  {
    type: 'string_check',
    title: 'String check',
    help: '1 when the strings compare as asked, else 0.',
    initial: { type: 'string_check', name: 'exact_match', operation: 'eq', input: '{{sample.output_text}}', reference: '{{item.reference}}' },
    fields: [{ name: 'operation', label: 'Operation', kind: 'select', options: ['eq', 'ne', 'like', 'ilike'], help: 'eq: equal; ne: different; like / ilike: contains (ilike ignores case).' }, INPUT, REFERENCE],
  },
  {
    type: 'text_similarity',
    title: 'Text similarity',
    help: 'Partial credit for answers close to the reference.',
    initial: { type: 'text_similarity', name: 'similarity', evaluation_metric: 'fuzzy_match', input: '{{sample.output_text}}', reference: '{{item.reference}}' },
    fields: [
      { name: 'evaluation_metric', label: 'Metric', kind: 'select', options: ['fuzzy_match', 'bleu', 'rouge_1', 'rouge_2', 'rouge_3', 'rouge_4', 'rouge_5', 'rouge_l'], help: 'fuzzy_match: 1 − edit distance / length.' },
      INPUT,
      REFERENCE,
    ],
  },
  {
    type: 'numeric',
    title: 'Numeric',
    help: 'Reads a number from the answer; full score within the tolerance.',
    initial: { type: 'numeric', name: 'numeric', input: '{{sample.output_text}}', reference: '{{item.reference}}', tolerance: 0, partial_credit: 0 },
    fields: [
      { name: 'tolerance', label: 'Tolerance', kind: 'number', help: 'Largest difference that still counts as right.' },
      { name: 'partial_credit', label: 'Partial credit', kind: 'number', help: 'Credit that fades with the distance beyond the tolerance (0 = none).' },
      INPUT,
      REFERENCE,
    ],
  },
  {
    type: 'regex',
    title: 'Regular expression',
    help: '1 when the answer matches the pattern.',
    initial: { type: 'regex', name: 'pattern', pattern: '^[abc]+$', input: '{{sample.output_text}}' },
    fields: [{ name: 'pattern', label: 'Pattern', kind: 'text', help: 'A JavaScript regular expression.' }, INPUT],
  },
  {
    type: 'simulated_judge',
    title: 'Simulated judge',
    help: 'A stand-in for an LLM judge, with a tunable length bias and noise.',
    initial: { type: 'simulated_judge', name: 'judge', length_bias: 0.3, noise: 0.1 },
    fields: [
      { name: 'length_bias', label: 'Length bias', kind: 'number', help: 'From −1 to 1: how much the judge favours longer answers.' },
      { name: 'noise', label: 'Noise', kind: 'number', help: 'From 0 to 1: how random its scores are.' },
    ],
  },
  {
    type: 'multi',
    title: 'Several graders combined',
    help: 'Scores several graders and combines them with a formula (edit as JSON).',
    initial: {
      type: 'multi',
      name: 'combined',
      graders: {
        exact: { type: 'string_check', operation: 'eq', input: '{{sample.output_text}}', reference: '{{item.reference}}' },
        similar: { type: 'text_similarity', evaluation_metric: 'fuzzy_match', input: '{{sample.output_text}}', reference: '{{item.reference}}' },
      },
      calculate_output: '0.5 * exact + 0.5 * similar',
    },
    fields: [],
  },
  {
    type: 'js',
    title: 'Custom JavaScript',
    help: 'Your own function, run in a sandboxed worker.',
    initial: { type: 'js', name: 'custom', source: DEFAULT_JS_SOURCE },
    fields: [],
  },
];

export function templateOf(spec: GraderSpec | null): GraderTemplate | null {
  return spec ? (GRADER_TEMPLATES.find((t) => t.type === spec.type) ?? null) : null;
}

/**
 * A template's starting spec. Custom JavaScript starts from the student's last
 * custom grader when there is one: switching templates must never lose code.
 */
export function templateStart(type: string, lastCustom: GraderSpec | null): GraderSpec | null {
  if (type === 'js' && lastCustom?.type === 'js') return structuredClone(lastCustom);
  const t = GRADER_TEMPLATES.find((x) => x.type === type);
  return t ? structuredClone(t.initial) : null;
}

/** A bench result's sub-scores after its score: " · exact 0.000 · similar 0.667", or "" when there are none. */
export function subScoreText(subScores: Record<string, number>): string {
  return Object.entries(subScores)
    .map(([name, v]) => ` · ${name} ${v.toFixed(3)}`)
    .join('');
}

/**
 * A grader's error about the bench's single answer, in the bench's words.
 * Graders name the sample of a batch they failed on (`on sample 0 (output_text "…")`)
 * and, after a timeout, how the batch's worker is replaced; neither means
 * anything for the one answer typed into the bench.
 */
export function benchMessage(error: string): string {
  return error
    .replace(/ on sample 0\b(?: \(output_text "(?:[^"\\]|\\.)*"\))?/, ' on this answer')
    .replace(/; its worker was stopped and a new one will start on the next batch$/, '');
}

/** A form field's text turned back into the value the spec holds. */
export function fieldValue(field: GraderField, text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (field.kind !== 'number') return { ok: true, value: text };
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) return { ok: false, message: `${field.label}: “${text}” is not a number` };
  return { ok: true, value: v };
}

/** Line and column from messages such as "line 3, column 7" or "(3:7)" when the error carries no fields. */
export function locateProblem(message: string): { line?: number; column?: number } {
  const words = /line (\d+)(?:,? col(?:umn)? (\d+))?/i.exec(message);
  if (words) return { line: Number(words[1]), column: words[2] ? Number(words[2]) : undefined };
  const pair = /\((\d+):(\d+)\)/.exec(message);
  if (pair) return { line: Number(pair[1]), column: Number(pair[2]) };
  return {};
}
