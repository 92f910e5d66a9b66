/** Shapes, random models and batches, the three objectives' losses, and central differences, for the transformer's tests. */
import { drawNormal, drawUnit } from '../../../src/engine/prng.ts';
import { EOS } from '../../../src/engine/task.ts';
import { transformerConfig, type TransformerConfig, type TransformerConfigInput } from '../../../src/models/transformer/config.ts';
import {
  addEntropyGradient,
  addKlGradient,
  backward,
  createActivationGrads,
  createActivations,
  createGradients,
  createTransformer,
  forward,
  klAt,
  entropyAt,
  logProbAt,
  packSequences,
  type TokenSequences,
  type Transformer,
} from '../../../src/models/transformer/model.ts';
import { initParams, type ParamName } from '../../../src/models/transformer/params.ts';

export const SHAPES: Record<string, TransformerConfigInput> = {
  // The brief's tiny shape: V 7, T 6, 2 layers, d_model 8, 2 heads.
  tiny: { vocabIn: 7, vocabOut: 5, context: 6, layers: 2, dModel: 8, heads: 2 },
  'tiny rotary': { vocabIn: 7, vocabOut: 5, context: 6, layers: 2, dModel: 8, heads: 2, positions: 'rotary' },
  // Multiples of nothing: odd vocabularies, 3 layers, head size 5, d_mlp 13.
  odd: { vocabIn: 11, vocabOut: 6, context: 7, layers: 3, dModel: 10, heads: 2, dMlp: 13 },
  // Rotary with head size 2 (one channel pair), 3 heads, d_mlp 5.
  'odd rotary': { vocabIn: 9, vocabOut: 4, context: 7, layers: 1, dModel: 6, heads: 3, dMlp: 5, positions: 'rotary' },
};

/**
 * A float64 model whose every parameter is O(0.3) away from GPT-2's init, so
 * LayerNorm gains, biases and deep layers all carry gradients worth checking
 * (at GPT-2's 0.02 most gradients are too small to tell an error from noise).
 */
export function randomModel(input: TransformerConfigInput, seed: number, scale = 0.3): Transformer {
  const cfg = transformerConfig(input);
  const params = initParams(cfg, seed, 'f64');
  for (let i = 0; i < params.length; i++) params[i] += scale * drawNormal(seed, 77, 0, i, 0);
  return createTransformer(cfg, params);
}

/** A model with the same configuration over a copy of `params` (for perturbing). */
export function withParams(model: Transformer, params: Float32Array | Float64Array): Transformer {
  return createTransformer(model.cfg, params);
}

function randInt(seed: number, key: number, sub: number, n: number): number {
  return Math.floor(drawUnit(seed, 78, key, sub, 0) * n);
}

/**
 * B sequences of varying length that fill the context at most: a prompt of
 * read tokens ending in a separator (the last read token), then an answer of
 * written tokens, ending in EOS unless it was cut at max length.
 */
export function randomBatch(cfg: TransformerConfig, B: number, seed: number): TokenSequences {
  return packSequences(cfg.context, randomRows(cfg, B, seed));
}

function randomRows(cfg: TransformerConfig, B: number, seed: number): { prompt: number[]; answer: number[] }[] {
  const rows: { prompt: number[]; answer: number[] }[] = [];
  const SEP = cfg.vocabIn - 1;
  for (let b = 0; b < B; b++) {
    const total = cfg.context - randInt(seed, b, 0, 2); // lengths differ, so padding is exercised
    const promptLen = 1 + randInt(seed, b, 1, Math.max(1, total - 2));
    const answerLen = total - promptLen + 1;
    const prompt = Array.from({ length: promptLen }, (_, i) => (i === promptLen - 1 ? SEP : randInt(seed, b, 10 + i, cfg.vocabIn)));
    const cut = randInt(seed, b, 2, 3) === 0; // a third of the answers hit max length without EOS
    const answer = Array.from({ length: answerLen }, (_, k) => (k === answerLen - 1 && !cut ? EOS : 1 + randInt(seed, b, 40 + k, cfg.vocabOut - 1)));
    rows.push({ prompt, answer });
  }
  return rows;
}

/**
 * P preference pairs as DPO sees them: rows 0..P−1 chosen, P..2P−1 rejected,
 * pair i's two rows sharing prompt i and differing in the answer (another
 * answer, possibly of another length, that still fits the context).
 */
export function randomPairBatch(cfg: TransformerConfig, P: number, seed: number): TokenSequences {
  const chosen = randomRows(cfg, P, seed);
  const rejected = chosen.map(({ prompt }, i) => {
    const room = cfg.context - prompt.length + 1;
    const len = 1 + randInt(seed, 1000 + i, 0, room);
    let answer = Array.from({ length: len }, (_, k) => (k === len - 1 ? EOS : 1 + randInt(seed, 1000 + i, 1 + k, cfg.vocabOut - 1)));
    if (answer.join() === chosen[i].answer.join()) {
      // Same answer drawn: change its first token to another letter (or give the bare EOS a letter).
      answer = len === 1 ? [1, EOS] : [(answer[0] % (cfg.vocabOut - 1)) + 1, ...answer.slice(1)];
    }
    return { prompt, answer };
  });
  return packSequences(cfg.context, [...chosen, ...rejected]);
}

// ------------------------------------------------------------------ objectives

/** A loss of the model on a fixed batch: its value, and (with `grad`) its gradient through backward. */
export interface Objective {
  name: string;
  evaluate(model: Transformer, grad?: Float64Array): number;
}

function scored(seq: TokenSequences): number[] {
  const out: number[] = [];
  for (let bt = 0; bt < seq.B * seq.T; bt++) if (seq.targets[bt] >= 0) out.push(bt);
  return out;
}

function runBackward(model: Transformer, acts: ReturnType<typeof createActivations>, seq: TokenSequences, grad: Float64Array, dLogProb: Float64Array, dLogits?: Float32Array | Float64Array) {
  const grads = createGradients(model);
  backward(model, acts, createActivationGrads(model, seq.B, seq.T), seq, grads, { dLogProb, dLogits });
  grad.set(grads.flat);
}

/** SFT: mean cross-entropy over the answer tokens. */
export function sftObjective(seq: TokenSequences): Objective {
  const visits = scored(seq);
  return {
    name: 'SFT cross-entropy',
    evaluate(model, grad) {
      const V = model.cfg.vocabOut;
      const acts = createActivations(model, seq.B, seq.T);
      forward(model, acts, seq);
      let loss = 0;
      for (const bt of visits) loss -= logProbAt(acts, V, bt, seq.targets[bt]) / visits.length;
      if (grad) {
        const dLogProb = new Float64Array(seq.B * seq.T);
        for (const bt of visits) dLogProb[bt] = -1 / visits.length;
        runBackward(model, acts, seq, grad, dLogProb);
      }
      return loss;
    },
  };
}

/**
 * RFT (DAPO token averaging): −Σ A·log π(token)/N − c_H·mean H + β·mean k3 + κ·mean KL,
 * at a temperature, against a reference. k3 = e^{r−l} − (r−l) − 1 is a function of
 * log π(token) alone (an upstream on log π); H and the exact KL go through ∂L/∂logits.
 */
export function rftObjective(seq: TokenSequences, ref: Transformer, advantages: number[], opts = { temperature: 0.7, entropyCoef: 0.05, beta: 0.3, klCoef: 0.2 }): Objective {
  const visits = scored(seq);
  const N = visits.length;
  const refActs = createActivations(ref, seq.B, seq.T);
  forward(ref, refActs, seq, opts.temperature);
  return {
    name: 'RFT Σ A·log π + entropy bonus + k3 KL',
    evaluate(model, grad) {
      const V = model.cfg.vocabOut;
      const acts = createActivations(model, seq.B, seq.T);
      forward(model, acts, seq, opts.temperature);
      const dLogProb = new Float64Array(seq.B * seq.T);
      const dLogits = new Float64Array(seq.B * seq.T * V);
      let loss = 0;
      for (const bt of visits) {
        const a = seq.targets[bt];
        const A = advantages[Math.floor(bt / seq.T)];
        const l = logProbAt(acts, V, bt, a);
        const r = logProbAt(refActs, V, bt, a);
        const k3 = Math.exp(r - l) - (r - l) - 1;
        loss += (-A * l - opts.entropyCoef * entropyAt(acts, V, bt) + opts.beta * k3 + opts.klCoef * klAt(acts, refActs, V, bt)) / N;
        dLogProb[bt] = (-A + opts.beta * (1 - Math.exp(r - l))) / N;
        if (grad) {
          addEntropyGradient(model, acts, bt, -opts.entropyCoef / N, dLogits);
          addKlGradient(model, acts, refActs, bt, opts.klCoef / N, dLogits);
        }
      }
      if (grad) runBackward(model, acts, seq, grad, dLogProb, dLogits);
      return loss;
    },
  };
}

/** DPO (sigmoid): mean −log σ(β((l_c − l_c,ref) − (l_r − l_r,ref))); rows 0..P−1 chosen, P..2P−1 rejected. */
export function dpoObjective(seq: TokenSequences, ref: Transformer, beta = 0.5): Objective {
  const P = seq.B / 2;
  const refActs = createActivations(ref, seq.B, seq.T);
  forward(ref, refActs, seq);
  const seqSum = (acts: ReturnType<typeof createActivations>, V: number, b: number) => {
    let s = 0;
    for (let k = 0; k < seq.answerLength[b]; k++) {
      const bt = b * seq.T + seq.answerStart[b] + k;
      s += logProbAt(acts, V, bt, seq.targets[bt]);
    }
    return s;
  };
  return {
    name: 'DPO sigmoid',
    evaluate(model, grad) {
      const V = model.cfg.vocabOut;
      const acts = createActivations(model, seq.B, seq.T);
      forward(model, acts, seq);
      const dLogProb = new Float64Array(seq.B * seq.T);
      let loss = 0;
      for (let i = 0; i < P; i++) {
        const m = beta * (seqSum(acts, V, i) - seqSum(refActs, V, i) - (seqSum(acts, V, P + i) - seqSum(refActs, V, P + i)));
        loss += Math.log1p(Math.exp(-m)) / P; // −log σ(m)
        const dm = -1 / (1 + Math.exp(m)) / P; // ∂/∂m of −log σ(m), averaged
        for (const [b, sign] of [[i, 1], [P + i, -1]] as const) {
          for (let k = 0; k < seq.answerLength[b]; k++) dLogProb[b * seq.T + seq.answerStart[b] + k] = dm * beta * sign;
        }
      }
      if (grad) runBackward(model, acts, seq, grad, dLogProb);
      return loss;
    },
  };
}

// ------------------------------------------------------------------ finite differences

export interface GroupError {
  name: ParamName;
  entries: number;
  /** Entries whose gradient is large enough (≥ RELATIVE_FLOOR) for a relative error to mean something. */
  checked: number;
  /** max |analytic − numeric| / max(|analytic|, |numeric|) over the checked entries. */
  maxRelError: number;
  /** max |analytic − numeric| over every entry (the near-zero ones included: e.g. the key bias, whose gradient is 0). */
  maxAbsError: number;
  maxAbsGrad: number;
}

/**
 * Below this a gradient entry is compared by its absolute error only: central
 * differences in float64 at h = 1e-5 carry ~1e-10 of truncation and rounding.
 */
export const RELATIVE_FLOOR = 1e-4;

/** Float64 central differences of every parameter, grouped by tensor. */
export function finiteDifferenceCheck(model: Transformer, objective: Objective, h = 1e-5): GroupError[] {
  const grad = new Float64Array(model.layout.count);
  objective.evaluate(model, grad);
  const theta = Float64Array.from(model.params);
  const probe = withParams(model, theta);
  const out: GroupError[] = [];
  for (const t of model.layout.list) {
    const e: GroupError = { name: t.name, entries: t.size, checked: 0, maxRelError: 0, maxAbsError: 0, maxAbsGrad: 0 };
    for (let i = t.offset; i < t.offset + t.size; i++) {
      const keep = theta[i];
      theta[i] = keep + h;
      const up = objective.evaluate(probe);
      theta[i] = keep - h;
      const down = objective.evaluate(probe);
      theta[i] = keep;
      const numeric = (up - down) / (2 * h);
      const abs = Math.abs(grad[i] - numeric);
      const size = Math.max(Math.abs(grad[i]), Math.abs(numeric));
      e.maxAbsError = Math.max(e.maxAbsError, abs);
      e.maxAbsGrad = Math.max(e.maxAbsGrad, Math.abs(grad[i]));
      if (size >= RELATIVE_FLOOR) {
        e.checked++;
        e.maxRelError = Math.max(e.maxRelError, abs / size);
      }
    }
    out.push(e);
  }
  return out;
}
