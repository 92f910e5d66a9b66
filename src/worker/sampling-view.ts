/**
 * One prompt's answers under a sampling setting the run does not use (yet):
 * the likeliest whole answers with their exact probabilities
 * (src/engine/answer-distribution.ts, summed over the token paths the sampler
 * can take) beside a batch of fresh samples at the same temperature and
 * top-k. Runs in the worker on a copy of the lane's parameters; the page gets
 * a dozen numbers.
 *
 * The fresh samples follow the engine's sampler (src/engine/policies/table.ts
 * `sample`): one counter-based draw u per (seed, stream, draw, sample,
 * position), the first token whose cumulative probability exceeds u, EOS or
 * max_len ends the answer. With top-k 0 and the training stream they are the
 * engine's own draws (tested). They come from PREVIEW_STREAM, which no
 * training draw uses, so previewing never changes what the run samples.
 */
import { answerDistribution, topKRenormalised } from '../engine/answer-distribution.ts';
import { readouts, type PolicyParameters } from '../engine/policies/index.ts';
import { drawUnit } from '../engine/prng.ts';
import { EOS, type Vocabulary } from '../engine/task.ts';
import type { SamplingRequest, SamplingResult } from './view-protocol.ts';

/** A stream of draws of its own (the engine's streams are 1–5, src/engine/prng.ts `Stream`). */
export const PREVIEW_STREAM = 16;
/** Most fresh samples one request may ask for (the view offers up to 1,000). */
export const MAX_PREVIEW_SAMPLES = 4096;
/** Most answers one request may list. */
export const MAX_PREVIEW_ANSWERS = 32;

export interface SamplerOptions {
  temperature: number;
  topK: number;
  seed: number;
  stream: number;
  /** The "step" field of the draw key: which batch of samples. */
  draw: number;
}

/**
 * The next-token distribution after each prefix at the setting, memoised by prefix: the same prefixes come up
 * again and again (every sample starts with the empty one), and a read-out may cost a forward pass.
 */
export function nextTokenCache(policy: PolicyParameters, prompt: number, temperature: number, topK: number): (prefix: readonly number[]) => Float64Array {
  const r = readouts(policy);
  const memo = new Map<string, Float64Array>();
  return (prefix) => {
    const key = prefix.join(',');
    let q = memo.get(key);
    if (!q) {
      q = topKRenormalised(r.nextTokenDistribution(prompt, prefix, temperature), topK);
      memo.set(key, q);
    }
    return q;
  };
}

/** `count` answers drawn as the engine's sampler draws them (token ids, EOS included when it was drawn). */
export function drawAnswers(next: (prefix: readonly number[]) => ArrayLike<number>, maxLen: number, count: number, o: Omit<SamplerOptions, 'temperature' | 'topK'>): number[][] {
  const out: number[][] = [];
  for (let n = 0; n < count; n++) {
    const tokens: number[] = [];
    for (let t = 0; t < maxLen; t++) {
      const q = next(tokens);
      const u = drawUnit(o.seed, o.stream, o.draw, n, t);
      // Inverse CDF; rounding that leaves u above the total falls back to the last token with mass, as the engine does.
      let tok = -1;
      let last = 0;
      let acc = 0;
      for (let j = 0; j < q.length; j++) {
        if (q[j] > 0) last = j;
        acc += q[j];
        if (u < acc) {
          tok = j;
          break;
        }
      }
      if (tok < 0) tok = last;
      tokens.push(tok);
      if (tok === EOS) break;
    }
    out.push(tokens);
  }
  return out;
}

/** The sampling view's numbers for one prompt of a policy. */
export function samplingView(policy: PolicyParameters, vocab: Vocabulary, req: SamplingRequest, seed: number, step: number, now: () => number = () => performance.now()): SamplingResult {
  const t0 = now();
  const temperature = Math.min(10, Math.max(0.05, req.temperature));
  const topK = Math.max(0, Math.floor(req.topK));
  const samples = Math.min(MAX_PREVIEW_SAMPLES, Math.max(0, Math.floor(req.samples)));
  const limit = Math.min(MAX_PREVIEW_ANSWERS, Math.max(1, Math.floor(req.limit)));
  const prompt = Math.min(Math.max(0, Math.floor(req.prompt)), policy.shape.prompts - 1);
  const L = policy.shape.maxLen;
  const next = nextTokenCache(policy, prompt, temperature, topK);
  const dist = answerDistribution(next, L, { limit, topK: 0 });
  const key = (tokens: readonly number[]) => tokens.join(',');
  const listed = new Map(dist.answers.map((a, i) => [key(a.tokens), i]));
  const counts = new Array<number>(dist.answers.length).fill(0);
  let otherCount = 0;
  for (const tokens of drawAnswers(next, L, samples, { seed, stream: PREVIEW_STREAM, draw: req.draw })) {
    const i = listed.get(key(tokens));
    if (i === undefined) otherCount++;
    else counts[i]++;
  }
  const text = (tokens: readonly number[]) => tokens.filter((t) => t !== EOS).map((t) => vocab.label(t)).join('');
  return {
    lane: req.lane,
    step,
    prompt,
    temperature,
    topK,
    draw: req.draw,
    answers: dist.answers.map((a, i) => ({ text: text(a.tokens), probability: a.probability, count: counts[i] })),
    otherProbability: Math.max(0, 1 - dist.covered),
    otherCount,
    samples,
    computeMs: now() - t0,
  };
}
