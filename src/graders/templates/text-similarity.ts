/** OpenAI's `text_similarity`: fuzzy_match, bleu, rouge_1 … rouge_5, rouge_l; optional pass_threshold → 1/0. */
import type { Grader } from '../types.ts';
import type { SpecReader } from '../spec.ts';
import { compileTemplate } from '../template.ts';
import { bleu, fuzzyMatch, rougeL, rougeN, type Tokenization } from './metrics.ts';
import { perSampleGrader } from './per-sample.ts';

export const SIMILARITY_METRICS = ['fuzzy_match', 'bleu', 'rouge_1', 'rouge_2', 'rouge_3', 'rouge_4', 'rouge_5', 'rouge_l'] as const;
type Metric = (typeof SIMILARITY_METRICS)[number];

/** OpenAI metrics this playground does not compute, and why. */
const NOT_IMPLEMENTED: Record<string, string> = {
  cosine: 'cosine similarity needs a text-embedding model, which this offline playground does not have',
  gleu: 'GLEU is not implemented here',
  meteor: 'METEOR needs WordNet synonyms, which this offline playground does not have',
};

function metricFn(metric: Metric, tokens: Tokenization): (a: string, b: string) => number {
  if (metric === 'fuzzy_match') return fuzzyMatch;
  if (metric === 'bleu') return (a, b) => bleu(a, b, tokens);
  if (metric === 'rouge_l') return (a, b) => rougeL(a, b, tokens);
  const n = Number(metric.slice(-1));
  return (a, b) => rougeN(a, b, n, tokens);
}

export function textSimilarity(r: SpecReader): Grader {
  r.onlyFields(['evaluation_metric', 'input', 'reference', 'pass_threshold', 'tokens']);
  const requested = r.spec.evaluation_metric;
  if (typeof requested === 'string' && requested in NOT_IMPLEMENTED) {
    r.fail('evaluation_metric', requested, `${NOT_IMPLEMENTED[requested]}; use one of ${SIMILARITY_METRICS.join(', ')}`);
  }
  if (requested === undefined) r.fail('evaluation_metric', requested, `is required: one of ${SIMILARITY_METRICS.join(', ')}`);
  const metric = r.oneOf('evaluation_metric', SIMILARITY_METRICS, 'fuzzy_match');
  const tokens = r.oneOf<Tokenization>('tokens', ['words', 'chars'], 'words');
  const input = compileTemplate(r.string('input', '{{sample.output_text}}'), r.fieldPath('input'));
  const reference = compileTemplate(r.string('reference', '{{item.reference}}'), r.fieldPath('reference'));
  const threshold = r.optionalNumber('pass_threshold', { min: 0, max: 1 });
  const similarity = metricFn(metric, tokens);
  const name = r.name(`text_similarity (${metric}${threshold !== undefined ? ` ≥ ${threshold}` : ''})`);
  return perSampleGrader(name, (s, item) => {
    const v = similarity(input(s, item), reference(s, item));
    return threshold === undefined ? v : v >= threshold ? 1 : 0;
  });
}
