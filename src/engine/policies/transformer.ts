/**
 * The transformer as a policy model of the seam (./types.ts): a thin adapter
 * over the CPU reference in src/models/transformer/, which states the model.
 *
 * The tables can answer a visit from one softmax row; the transformer needs a
 * forward pass over the whole context. So visits are grouped into *segments*:
 * `prepareBatch` runs one batched forward over every row of a batch, and the
 * handles `visits` returns point into it (segment base + b·T + position).
 * A `visits` of rows nobody prepared makes a one-row segment, so the
 * objectives stay correct if they forget to prepare (only slower). Upstream
 * gradients are kept per segment and `backward` runs the model's backward
 * once per segment, adding into one flat gradient.
 */
import type { TokenBatch } from '../backend.ts';
import type { StreamId } from '../prng.ts';
import { EOS, type Task } from '../task.ts';
import {
  addEntropyGradient,
  backward,
  createActivationGrads,
  createActivations,
  createTransformer,
  forward,
  gradientViews,
  logProbAt,
  type Activations,
  type TokenSequences,
  type Transformer,
} from '../../models/transformer/model.ts';
import { paramLayout, initParams } from '../../models/transformer/params.ts';
import { decode, greedyAnswer, nextTokenDistribution, sequenceLogProb } from '../../models/transformer/sampling.ts';
import { transformerConfigOf } from '../../models/transformer/shape.ts';
import { pretrainBase } from '../../models/transformer/base.ts';
import type { CpuPolicyModel, InitOptions, PolicyKindEntry, PolicyParameters, PolicyReadouts, PolicyShape, VisitBatch } from './types.ts';

function netOf(shape: PolicyShape): NonNullable<PolicyShape['net']> {
  if (!shape.net) throw new Error('a transformer policy shape carries its network (shape.net); build it with policyShape()');
  return shape.net;
}

/** One batched forward and what the objectives sent back for it. */
interface Segment {
  /** The batch's token array (identity): `visits` finds its rows by it. */
  source: Int32Array;
  rowOffset: number;
  base: number;
  seq: TokenSequences;
  acts: Activations;
  ref: Activations | null;
  dLogProb: Float64Array;
  dLdH: Float64Array | null;
  touched: boolean;
}

class TransformerCpuModel implements CpuPolicyModel {
  readonly grad: Float64Array;
  private model!: Transformer;
  private refModel!: Transformer;
  private segments: Segment[] = [];
  private nextBase = 0;
  private readonly L: number;
  private readonly V: number;
  private readonly prompts: Int32Array[];

  constructor(readonly shape: PolicyShape) {
    const net = netOf(shape);
    this.L = shape.maxLen;
    this.V = shape.vocab;
    this.prompts = net.prompts.map((p) => Int32Array.from(p));
    this.grad = new Float64Array(paramLayout(transformerConfigOf(shape)).count);
  }

  bind(params: Float32Array, ref: Float32Array): void {
    const cfg = transformerConfigOf(this.shape);
    this.model = createTransformer(cfg, params);
    this.refModel = createTransformer(cfg, ref);
    this.reset();
  }

  invalidate(): void {
    this.segments = [];
    this.nextBase = 0;
  }

  reset(): void {
    this.invalidate();
    this.grad.fill(0);
  }

  sample(step: number, stream: StreamId, promptOf: Int32Array, T: number, seed: number): TokenBatch {
    const answers = decode(this.model, Array.from(promptOf, (p) => this.prompts[p]), { maxLen: this.L, temperature: T, seed, stream, step });
    return { count: answers.count, promptOf: promptOf.slice(), tokens: answers.tokens, lengths: answers.lengths };
  }

  prepareBatch(batch: VisitBatch, T: number): void {
    this.segment(batch.tokens, 0, batch.count, batch.promptOf, batch.lengths, T);
  }

  visits(prompt: number, tokens: Int32Array, offset: number, len: number, T: number, out: Int32Array): void {
    const row = offset / this.L;
    let seg = this.segments.find((s) => s.source === tokens && row >= s.rowOffset && row < s.rowOffset + s.seq.B && s.acts.temperature === T);
    if (!seg) {
      // Not prepared: a segment of this one answer.
      seg = this.segment(tokens, row, 1, Int32Array.of(prompt), Int32Array.of(len), T);
    }
    const b = row - seg.rowOffset;
    if (seg.seq.answerLength[b] !== len) throw new Error(`visits: row ${row} was prepared with ${seg.seq.answerLength[b]} tokens, asked for ${len}`);
    const start = seg.base + b * seg.seq.T + seg.seq.answerStart[b];
    for (let t = 0; t < len; t++) out[t] = start + t;
  }

  private segment(tokens: Int32Array, firstRow: number, count: number, promptOf: Int32Array, lengths: Int32Array, T: number): Segment {
    const L = this.L;
    let context = 1;
    for (let b = 0; b < count; b++) context = Math.max(context, this.prompts[promptOf[b]].length + lengths[b] - 1);
    const seq: TokenSequences = {
      B: count,
      T: context,
      tokens: new Int32Array(count * context),
      targets: new Int32Array(count * context).fill(-1),
      lengths: new Int32Array(count),
      answerStart: new Int32Array(count),
      answerLength: new Int32Array(count),
    };
    for (let b = 0; b < count; b++) {
      const prompt = this.prompts[promptOf[b]];
      const len = lengths[b];
      const at = (firstRow + b) * L;
      const row = b * context;
      seq.tokens.set(prompt, row);
      for (let k = 0; k < len - 1; k++) seq.tokens[row + prompt.length + k] = tokens[at + k];
      const start = prompt.length - 1;
      for (let k = 0; k < len; k++) seq.targets[row + start + k] = tokens[at + k];
      seq.lengths[b] = prompt.length + len - 1;
      seq.answerStart[b] = start;
      seq.answerLength[b] = len;
    }
    const acts = createActivations(this.model, count, context);
    forward(this.model, acts, seq, T);
    const seg: Segment = { source: tokens, rowOffset: firstRow, base: this.nextBase, seq, acts, ref: null, dLogProb: new Float64Array(count * context), dLdH: null, touched: false };
    this.nextBase += count * context;
    this.segments.push(seg);
    return seg;
  }

  private at(v: number): { seg: Segment; bt: number } {
    for (const seg of this.segments) {
      const n = seg.seq.B * seg.seq.T;
      if (v >= seg.base && v < seg.base + n) return { seg, bt: v - seg.base };
    }
    throw new Error(`visit ${v} is not in a prepared batch (the parameters changed since: call visits again)`);
  }

  private refActs(seg: Segment): Activations {
    if (!seg.ref) {
      seg.ref = createActivations(this.refModel, seg.seq.B, seg.seq.T);
      forward(this.refModel, seg.ref, seg.seq, seg.acts.temperature);
    }
    return seg.ref;
  }

  logProb(v: number, token: number, T: number): number {
    const { seg, bt } = this.at(v);
    checkTemperature(seg.acts, T);
    return logProbAt(seg.acts, this.V, bt, token);
  }

  refLogProb(v: number, token: number, T: number): number {
    const { seg, bt } = this.at(v);
    checkTemperature(seg.acts, T);
    return logProbAt(this.refActs(seg), this.V, bt, token);
  }

  entropy(v: number): number {
    const { seg, bt } = this.at(v);
    const { probs } = seg.acts;
    let h = 0;
    for (let j = 0; j < this.V; j++) {
      const p = probs[bt * this.V + j];
      if (p > 0) h -= p * logProbAt(seg.acts, this.V, bt, j);
    }
    return h;
  }

  klToReference(v: number, T: number): number {
    const { seg, bt } = this.at(v);
    checkTemperature(seg.acts, T);
    const ref = this.refActs(seg);
    let kl = 0;
    for (let j = 0; j < this.V; j++) {
      const p = seg.acts.probs[bt * this.V + j];
      if (p > 0) kl += p * (logProbAt(seg.acts, this.V, bt, j) - logProbAt(ref, this.V, bt, j));
    }
    return kl;
  }

  greedyToken(v: number): number {
    const { seg, bt } = this.at(v);
    const { logits } = seg.acts;
    let best = 0;
    for (let j = 1; j < this.V; j++) if (logits[bt * this.V + j] > logits[bt * this.V + best]) best = j;
    return best;
  }

  addUpstream(v: number, token: number, u: number): void {
    const { seg, bt } = this.at(v);
    // The model's backward reads ∂L/∂log π of the visit's own token (the batch's target).
    if (seg.seq.targets[bt] !== token) throw new Error(`addUpstream: visit ${v} emitted token ${seg.seq.targets[bt]}, not ${token}`);
    seg.dLogProb[bt] += u;
    seg.touched = true;
  }

  addEntropyUpstream(v: number, dLdH: number): void {
    const { seg, bt } = this.at(v);
    seg.dLdH ??= new Float64Array(seg.seq.B * seg.seq.T);
    seg.dLdH[bt] += dLdH;
    seg.touched = true;
  }

  backward(T: number): number {
    const grads = gradientViews(this.model, this.grad);
    for (const seg of this.segments) {
      if (!seg.touched) continue;
      checkTemperature(seg.acts, T);
      let dLogits: Float32Array | undefined;
      if (seg.dLdH) {
        dLogits = new Float32Array(seg.seq.B * seg.seq.T * this.V);
        for (let bt = 0; bt < seg.dLdH.length; bt++) if (seg.dLdH[bt] !== 0) addEntropyGradient(this.model, seg.acts, bt, seg.dLdH[bt], dLogits);
      }
      backward(this.model, seg.acts, createActivationGrads(this.model, seg.seq.B, seg.seq.T), seg.seq, grads, { dLogProb: seg.dLogProb, dLogits });
    }
    let sq = 0;
    for (let i = 0; i < this.grad.length; i++) sq += this.grad[i] * this.grad[i];
    return sq;
  }

  clearGradient(): void {
    this.grad.fill(0);
    for (const seg of this.segments) {
      seg.dLogProb.fill(0);
      seg.dLdH = null;
      seg.touched = false;
    }
  }
}

function checkTemperature(acts: Activations, T: number): void {
  if (acts.temperature !== T) throw new Error(`the batch's forward ran at temperature ${acts.temperature}, asked at ${T}`);
}


// ------------------------------------------------------------------ read-outs

const models = new WeakMap<Float32Array, Transformer>();
function modelOf(policy: PolicyParameters, which: 'policy' | 'reference' = 'policy'): Transformer {
  const params = which === 'policy' ? policy.params : policy.ref;
  let m = models.get(params);
  if (!m || m.params !== params) {
    m = createTransformer(transformerConfigOf(policy.shape), params);
    models.set(params, m);
  }
  return m;
}

const promptOf = (policy: PolicyParameters, prompt: number) => Int32Array.from(netOf(policy.shape).prompts[prompt]);

export const transformerReadouts: PolicyReadouts = {
  nextTokenDistribution(policy, prompt, prefix, temperature = 1) {
    return nextTokenDistribution(modelOf(policy), promptOf(policy, prompt), prefix, temperature);
  },
  sequenceLogProb(policy, which, prompt, tokens) {
    if (tokens.length === 0) return 0;
    return sequenceLogProb(modelOf(policy, which), promptOf(policy, prompt), tokens);
  },
  greedyAnswer(policy, prompt) {
    return greedyAnswer(modelOf(policy), promptOf(policy, prompt), policy.shape.maxLen);
  },
  greedyAnswers(policy, prompts) {
    const L = policy.shape.maxLen;
    const a = decode(modelOf(policy), prompts.map((p) => promptOf(policy, p)), { maxLen: L, greedy: true });
    return prompts.map((_, n) => {
      const tokens = Array.from(a.tokens.subarray(n * L, n * L + a.lengths[n]));
      if (tokens[tokens.length - 1] === EOS) tokens.pop();
      return tokens;
    });
  },
  /**
   * The exact next-token distribution at each position along the greedy answer (a transformer's
   * marginals would need every path); positions after the greedy answer's EOS are all zero.
   */
  positionMarginals(policy, prompt, temperature = 1) {
    const model = modelOf(policy);
    const p = promptOf(policy, prompt);
    const L = policy.shape.maxLen;
    const prefix: number[] = [];
    const rows: Float64Array[] = [];
    let ended = false;
    for (let t = 0; t < L; t++) {
      if (ended) {
        rows.push(new Float64Array(policy.shape.vocab));
        continue;
      }
      const dist = nextTokenDistribution(model, p, prefix, temperature);
      rows.push(dist);
      let best = 0;
      for (let j = 1; j < dist.length; j++) if (dist[j] > dist[best]) best = j;
      if (best === EOS) ended = true;
      prefix.push(best);
    }
    return rows;
  },
};

export const transformerEntry: PolicyKindEntry = {
  paramCount: (shape) => paramLayout(transformerConfigOf(shape)).count,
  initialParams(shape: PolicyShape, task: Task, opts: InitOptions): Float32Array {
    const cfg = transformerConfigOf(shape);
    if (opts.init === 'base') return pretrainBase(shape, task, opts, opts.onBaseProgress).params;
    return initParams(cfg, opts.seed) as Float32Array;
  },
  cpu: (shape) => new TransformerCpuModel(shape),
  readouts: transformerReadouts,
  sizeHint(shape) {
    const net = netOf(shape);
    return `the transformer has ${paramLayout(transformerConfigOf(shape)).count} parameters (policy.layers ${net.layers} × policy.d_model ${net.dModel}); reduce policy.d_model or policy.layers`;
  },
};
