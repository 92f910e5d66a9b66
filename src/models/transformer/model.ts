/**
 * The transformer policy, stated whole: a decoder-only, character-level GPT
 * (pre-LayerNorm, causal multi-head attention, GELU MLP, final LayerNorm, an
 * untied output head over the answer tokens), as llm.c's gpt2_forward and
 * gpt2_backward. `forward` keeps every activation the backward needs;
 * `backward` turns upstream gradients into parameter gradients in one flat
 * buffer laid out as the parameters (params.ts).
 *
 * What the objectives see (src/engine/policies/types.ts calls each scored
 * position a *visit*): per visit, log π(token), log Z, the entropy and the KL
 * to a reference (`visitStats`), and what they send back: ∂L/∂log π(token)
 * per visit and/or ∂L/∂logits per visit (`Upstream`; `addEntropyGradient` and
 * `addKlGradient` write the latter for the entropy bonus and an exact-KL term).
 */
import { headSize, type TransformerConfig } from './config.ts';
import {
  attention_backward,
  attention_forward,
  encoder_backward,
  encoder_forward,
  gelu_backward,
  gelu_forward,
  layernorm_backward,
  layernorm_forward,
  logsoftmax_backward,
  matmul_backward,
  matmul_forward,
  residual_forward,
  rope_backward,
  rope_forward,
  ropeTables,
  softmax_forward,
  type RopeTables,
  type Span,
} from './ops.ts';
import { allocFloats, paramLayout, paramViews, type Floats, type ParamLayout, type ParamName, type ParamViews, type Precision } from './params.ts';

// ------------------------------------------------------------------ the model

/** The views of one layer's tensors (or the gradient's). */
type LayerViews<A extends Floats> = Record<'ln1w' | 'ln1b' | 'qkvw' | 'qkvb' | 'attprojw' | 'attprojb' | 'ln2w' | 'ln2b' | 'fcw' | 'fcb' | 'fcprojw' | 'fcprojb', A>;
const LAYER_TENSORS = ['ln1w', 'ln1b', 'qkvw', 'qkvb', 'attprojw', 'attprojb', 'ln2w', 'ln2b', 'fcw', 'fcb', 'fcprojw', 'fcprojb'] as const;

function layerViews<A extends Floats>(views: ParamViews<A>, layout: ParamLayout, l: number): LayerViews<A> {
  const out = {} as LayerViews<A>;
  for (const name of LAYER_TENSORS) {
    const n = layout.tensors[name].perLayer;
    out[name] = views[name].subarray(l * n, (l + 1) * n) as A;
  }
  return out;
}

export interface Transformer {
  readonly cfg: TransformerConfig;
  readonly layout: ParamLayout;
  readonly precision: Precision;
  /** The flat parameter buffer; the model reads it live (an optimizer may update it in place). */
  readonly params: Floats;
  readonly p: ParamViews<Floats>;
  readonly layers: LayerViews<Floats>[];
  readonly rope: RopeTables | null;
}

export function createTransformer(cfg: TransformerConfig, params: Floats): Transformer {
  const layout = paramLayout(cfg);
  const p = paramViews(params, layout);
  const layers = Array.from({ length: cfg.layers }, (_, l) => layerViews(p, layout, l));
  const precision: Precision = params instanceof Float64Array ? 'f64' : 'f32';
  const rope = cfg.positions === 'rotary' ? ropeTables(cfg.context, headSize(cfg)) : null;
  return { cfg, layout, precision, params, p, layers, rope };
}

/** Named views of a gradient buffer with the parameters' layout. */
export interface Gradients {
  readonly flat: Float64Array;
  readonly g: ParamViews<Float64Array>;
  readonly layers: LayerViews<Float64Array>[];
}

export function createGradients(model: Transformer): Gradients {
  return gradientViews(model, new Float64Array(model.layout.count));
}

/** Named views over a flat gradient buffer (the policy's own, laid out as the parameters). */
export function gradientViews(model: Transformer, flat: Float64Array): Gradients {
  if (flat.length !== model.layout.count) throw new Error(`a gradient of ${flat.length} entries for ${model.layout.count} parameters`);
  const g = paramViews(flat, model.layout);
  return { flat, g, layers: Array.from({ length: model.cfg.layers }, (_, l) => layerViews(g, model.layout, l)) };
}

// ------------------------------------------------------------------ token sequences

/**
 * A batch of contexts, right-padded to T: sequence b is prompt + separator +
 * answer without its last token, `lengths[b]` positions long. The position of
 * the separator predicts the answer's first token; `targets` holds, at each
 * scored position, the token whose log-probability the objectives read (−1
 * elsewhere). Positions ≥ lengths[b] are never computed nor read.
 */
export interface TokenSequences {
  B: number;
  T: number;
  tokens: Int32Array;
  targets: Int32Array;
  lengths: Int32Array;
  /** Position predicting the answer's first token (the separator's). */
  answerStart: Int32Array;
  answerLength: Int32Array;
}

/** Packs (prompt with separator, answer tokens) rows into sequences of context T. */
export function packSequences(T: number, rows: readonly { prompt: ArrayLike<number>; answer: ArrayLike<number> }[]): TokenSequences {
  const B = rows.length;
  const seq: TokenSequences = {
    B,
    T,
    tokens: new Int32Array(B * T),
    targets: new Int32Array(B * T).fill(-1),
    lengths: new Int32Array(B),
    answerStart: new Int32Array(B),
    answerLength: new Int32Array(B),
  };
  rows.forEach(({ prompt, answer }, b) => {
    if (answer.length < 1) throw new Error(`sequence ${b}: an answer has at least one token (EOS)`);
    const length = prompt.length + answer.length - 1;
    if (length > T) throw new Error(`sequence ${b}: prompt (${prompt.length} tokens with the separator) + answer (${answer.length}) needs ${length} positions, the context has ${T}`);
    for (let i = 0; i < prompt.length; i++) seq.tokens[b * T + i] = prompt[i];
    for (let k = 0; k < answer.length - 1; k++) seq.tokens[b * T + prompt.length + k] = answer[k];
    const start = prompt.length - 1;
    for (let k = 0; k < answer.length; k++) seq.targets[b * T + start + k] = answer[k];
    seq.lengths[b] = length;
    seq.answerStart[b] = start;
    seq.answerLength[b] = answer.length;
  });
  return seq;
}

// ------------------------------------------------------------------ activations

/** llm.c's ActivationTensors: everything the forward keeps for the backward, [layer][B][T][·]. */
export interface Activations {
  readonly B: number;
  readonly T: number;
  temperature: number;
  encoded: Floats;
  ln1: Floats;
  ln1Mean: Float64Array;
  ln1Rstd: Float64Array;
  /** q, k, v as the matmul makes them. */
  qkv: Floats;
  /** q and k rotated (rotary positions); the same buffer as qkv with learned positions. */
  qkvr: Floats;
  atty: Floats;
  att: Floats;
  attproj: Floats;
  residual2: Floats;
  ln2: Floats;
  ln2Mean: Float64Array;
  ln2Rstd: Float64Array;
  fch: Floats;
  fchGelu: Floats;
  fcproj: Floats;
  residual3: Floats;
  lnf: Floats;
  lnfMean: Float64Array;
  lnfRstd: Float64Array;
  logits: Floats;
  probs: Floats;
  logZ: Float64Array;
}

export function createActivations(model: Transformer, B: number, T: number): Activations {
  const { layers: L, dModel: C, dMlp: M, heads: NH, vocabOut: V, context } = model.cfg;
  if (T > context) throw new Error(`a batch of context ${T} exceeds the model's context of ${context} positions`);
  const f = (n: number) => allocFloats(model.precision, n);
  const BT = B * T;
  const qkv = f(L * BT * 3 * C);
  return {
    B,
    T,
    temperature: 1,
    encoded: f(BT * C),
    ln1: f(L * BT * C),
    ln1Mean: new Float64Array(L * BT),
    ln1Rstd: new Float64Array(L * BT),
    qkv,
    qkvr: model.rope ? f(L * BT * 3 * C) : qkv,
    atty: f(L * BT * C),
    att: f(L * B * NH * T * T),
    attproj: f(L * BT * C),
    residual2: f(L * BT * C),
    ln2: f(L * BT * C),
    ln2Mean: new Float64Array(L * BT),
    ln2Rstd: new Float64Array(L * BT),
    fch: f(L * BT * M),
    fchGelu: f(L * BT * M),
    fcproj: f(L * BT * C),
    residual3: f(L * BT * C),
    lnf: f(BT * C),
    lnfMean: new Float64Array(BT),
    lnfRstd: new Float64Array(BT),
    logits: f(BT * V),
    probs: f(BT * V),
    logZ: new Float64Array(BT),
  };
}

/** Layer l's slice of a [layer][B][T][width] activation. */
function at<A extends Floats | Float64Array>(buf: A, l: number, perLayer: number): A {
  return buf.subarray(l * perLayer, (l + 1) * perLayer) as A;
}

function fullSpan(seq: TokenSequences, lo?: Int32Array): Span {
  return { B: seq.B, T: seq.T, lo: lo ?? new Int32Array(seq.B), hi: seq.lengths };
}

/**
 * gpt2_forward. Computes positions [lo[b], lengths[b]) of every sequence (all
 * of them without `lo`); earlier positions must hold this model's activations
 * of the same tokens (an incremental decode step). Probabilities at `temperature`.
 */
export function forward(model: Transformer, acts: Activations, seq: TokenSequences, temperature = 1, lo?: Int32Array): void {
  if (acts.B !== seq.B || acts.T !== seq.T) throw new Error(`activations are for ${acts.B}×${acts.T}, the batch is ${seq.B}×${seq.T}`);
  const { layers: L, dModel: C, dMlp: M, heads: NH, vocabOut: V } = model.cfg;
  const s = fullSpan(seq, lo);
  const BT = seq.B * seq.T;
  const { p } = model;
  acts.temperature = temperature;
  encoder_forward(acts.encoded, seq.tokens, p.wte, model.rope ? null : p.wpe, s, C);
  for (let l = 0; l < L; l++) {
    const w = model.layers[l];
    const residual = l === 0 ? acts.encoded : at(acts.residual3, l - 1, BT * C);
    const ln1 = at(acts.ln1, l, BT * C);
    const qkv = at(acts.qkv, l, BT * 3 * C);
    const qkvr = at(acts.qkvr, l, BT * 3 * C);
    const atty = at(acts.atty, l, BT * C);
    const att = at(acts.att, l, seq.B * NH * seq.T * seq.T);
    const attproj = at(acts.attproj, l, BT * C);
    const residual2 = at(acts.residual2, l, BT * C);
    const ln2 = at(acts.ln2, l, BT * C);
    const fch = at(acts.fch, l, BT * M);
    const fchGelu = at(acts.fchGelu, l, BT * M);
    const fcproj = at(acts.fcproj, l, BT * C);
    const residual3 = at(acts.residual3, l, BT * C);
    layernorm_forward(ln1, at(acts.ln1Mean, l, BT), at(acts.ln1Rstd, l, BT), residual, w.ln1w, w.ln1b, s, C);
    matmul_forward(qkv, ln1, w.qkvw, w.qkvb, s, C, 3 * C);
    if (model.rope) rope_forward(qkvr, qkv, model.rope, s, NH, C);
    attention_forward(atty, att, qkvr, s, NH, C);
    matmul_forward(attproj, atty, w.attprojw, w.attprojb, s, C, C);
    residual_forward(residual2, residual, attproj, s, C);
    layernorm_forward(ln2, at(acts.ln2Mean, l, BT), at(acts.ln2Rstd, l, BT), residual2, w.ln2w, w.ln2b, s, C);
    matmul_forward(fch, ln2, w.fcw, w.fcb, s, C, M);
    gelu_forward(fchGelu, fch, s, M);
    matmul_forward(fcproj, fchGelu, w.fcprojw, w.fcprojb, s, M, C);
    residual_forward(residual3, residual2, fcproj, s, C);
  }
  const last = at(acts.residual3, L - 1, BT * C);
  layernorm_forward(acts.lnf, acts.lnfMean, acts.lnfRstd, last, p.lnfw, p.lnfb, s, C);
  matmul_forward(acts.logits, acts.lnf, p.lmheadw, null, s, C, V);
  softmax_forward(acts.probs, acts.logZ, acts.logits, s, V, temperature);
}

// ------------------------------------------------------------------ per-visit statistics

/** log π_j at position bt: z_j / T − log Z. */
export function logProbAt(acts: Activations, V: number, bt: number, token: number): number {
  return acts.logits[bt * V + token] / acts.temperature - acts.logZ[bt];
}

export function entropyAt(acts: Activations, V: number, bt: number): number {
  let h = 0;
  for (let j = 0; j < V; j++) {
    const pj = acts.probs[bt * V + j];
    if (pj > 0) h -= pj * logProbAt(acts, V, bt, j);
  }
  return h;
}

/** Exact KL(π(·|bt) ‖ π_ref(·|bt)); `ref` is the reference's forward over the same batch at the same temperature. */
export function klAt(acts: Activations, ref: Activations, V: number, bt: number): number {
  let kl = 0;
  for (let j = 0; j < V; j++) {
    const pj = acts.probs[bt * V + j];
    if (pj > 0) kl += pj * (logProbAt(acts, V, bt, j) - logProbAt(ref, V, bt, j));
  }
  return kl;
}

/** Per scored position (target ≥ 0; NaN elsewhere): log π(target), log Z, H(π), and KL(π‖π_ref) when `ref` is given. */
export interface VisitStats {
  logProb: Float64Array;
  logZ: Float64Array;
  entropy: Float64Array;
  kl: Float64Array;
}

export function visitStats(model: Transformer, acts: Activations, seq: TokenSequences, ref?: Activations): VisitStats {
  const V = model.cfg.vocabOut;
  const n = seq.B * seq.T;
  const out: VisitStats = { logProb: new Float64Array(n).fill(NaN), logZ: new Float64Array(n).fill(NaN), entropy: new Float64Array(n).fill(NaN), kl: new Float64Array(n).fill(NaN) };
  if (ref && ref.temperature !== acts.temperature) throw new Error(`the reference's forward ran at temperature ${ref.temperature}, the policy's at ${acts.temperature}`);
  for (let b = 0; b < seq.B; b++) {
    for (let t = 0; t < seq.lengths[b]; t++) {
      const bt = b * seq.T + t;
      const a = seq.targets[bt];
      if (a < 0) continue;
      out.logProb[bt] = logProbAt(acts, V, bt, a);
      out.logZ[bt] = acts.logZ[bt];
      out.entropy[bt] = entropyAt(acts, V, bt);
      if (ref) out.kl[bt] = klAt(acts, ref, V, bt);
    }
  }
  return out;
}

/** dLogits[bt] += dLdH · ∂H/∂z, with ∂H/∂z_j = −π_j (log π_j + H) / T. */
export function addEntropyGradient(model: Transformer, acts: Activations, bt: number, dLdH: number, dLogits: Floats): void {
  const V = model.cfg.vocabOut;
  const H = entropyAt(acts, V, bt);
  const k = dLdH / acts.temperature;
  for (let j = 0; j < V; j++) {
    const pj = acts.probs[bt * V + j];
    if (pj > 0) dLogits[bt * V + j] -= k * pj * (logProbAt(acts, V, bt, j) + H);
  }
}

/** dLogits[bt] += dLdKL · ∂KL/∂z, with ∂KL(π‖π_ref)/∂z_j = π_j ((log π_j − log π_ref,j) − KL) / T (π_ref fixed). */
export function addKlGradient(model: Transformer, acts: Activations, ref: Activations, bt: number, dLdKL: number, dLogits: Floats): void {
  const V = model.cfg.vocabOut;
  const kl = klAt(acts, ref, V, bt);
  const k = dLdKL / acts.temperature;
  for (let j = 0; j < V; j++) {
    const pj = acts.probs[bt * V + j];
    if (pj > 0) dLogits[bt * V + j] += k * pj * (logProbAt(acts, V, bt, j) - logProbAt(ref, V, bt, j) - kl);
  }
}

// ------------------------------------------------------------------ backward

/** What the objectives send back; either or both. */
export interface Upstream {
  /** [B·T]: ∂L/∂log π(target) at each scored position (0 elsewhere). */
  dLogProb?: ArrayLike<number>;
  /** [B·T·vocabOut]: ∂L/∂z, z the raw logits (before the temperature). */
  dLogits?: Floats;
}

/** llm.c's gradient activations: one layer's worth, reused down the layers. */
export interface ActivationGrads {
  dlogits: Floats;
  dlnf: Floats;
  /** ∂L/∂(residual stream) at the point the backward has reached. */
  dres: Floats;
  dln: Floats;
  dqkv: Floats;
  dqkvr: Floats;
  datty: Floats;
  dfch: Floats;
  dfchGelu: Floats;
}

export function createActivationGrads(model: Transformer, B: number, T: number): ActivationGrads {
  const { dModel: C, dMlp: M, vocabOut: V } = model.cfg;
  const f = (n: number) => allocFloats(model.precision, n);
  const BT = B * T;
  const dqkv = f(BT * 3 * C);
  return { dlogits: f(BT * V), dlnf: f(BT * C), dres: f(BT * C), dln: f(BT * C), dqkv, dqkvr: model.rope ? f(BT * 3 * C) : dqkv, datty: f(BT * C), dfch: f(BT * M), dfchGelu: f(BT * M) };
}

/**
 * gpt2_backward: adds ∂L/∂θ into `grads` (zero it first to start a batch), from
 * the forward's activations of the same batch. Residual connections: `dres`
 * carries the stream's gradient down; each branch's backward reads it as its
 * output gradient and its first LayerNorm adds the branch's input gradient back.
 */
export function backward(model: Transformer, acts: Activations, d: ActivationGrads, seq: TokenSequences, grads: Gradients, up: Upstream): void {
  const { layers: L, dModel: C, dMlp: M, heads: NH, vocabOut: V } = model.cfg;
  const s = fullSpan(seq);
  const BT = seq.B * seq.T;
  const { p } = model;
  const { g } = grads;

  d.dlogits.fill(0);
  if (up.dLogits) {
    if (up.dLogits.length !== BT * V) throw new Error(`dLogits has ${up.dLogits.length} entries, the batch needs ${BT * V}`);
    d.dlogits.set(up.dLogits);
  }
  if (up.dLogProb) logsoftmax_backward(d.dlogits, up.dLogProb, seq.targets, acts.probs, s, V, acts.temperature);

  d.dlnf.fill(0);
  matmul_backward(d.dlnf, g.lmheadw, null, d.dlogits, acts.lnf, p.lmheadw, s, C, V);
  d.dres.fill(0);
  layernorm_backward(d.dres, g.lnfw, g.lnfb, d.dlnf, at(acts.residual3, L - 1, BT * C), p.lnfw, acts.lnfMean, acts.lnfRstd, s, C);

  for (let l = L - 1; l >= 0; l--) {
    const w = model.layers[l];
    const dw = grads.layers[l];
    const residual = l === 0 ? acts.encoded : at(acts.residual3, l - 1, BT * C);
    // MLP branch: residual3 = residual2 + fcproj(gelu(fc(ln2(residual2))))
    d.dfchGelu.fill(0);
    matmul_backward(d.dfchGelu, dw.fcprojw, dw.fcprojb, d.dres, at(acts.fchGelu, l, BT * M), w.fcprojw, s, M, C);
    d.dfch.fill(0);
    gelu_backward(d.dfch, at(acts.fch, l, BT * M), d.dfchGelu, s, M);
    d.dln.fill(0);
    matmul_backward(d.dln, dw.fcw, dw.fcb, d.dfch, at(acts.ln2, l, BT * C), w.fcw, s, C, M);
    layernorm_backward(d.dres, dw.ln2w, dw.ln2b, d.dln, at(acts.residual2, l, BT * C), w.ln2w, at(acts.ln2Mean, l, BT), at(acts.ln2Rstd, l, BT), s, C);
    // Attention branch: residual2 = residual + attproj(attention(rope(qkv(ln1(residual)))))
    d.datty.fill(0);
    matmul_backward(d.datty, dw.attprojw, dw.attprojb, d.dres, at(acts.atty, l, BT * C), w.attprojw, s, C, C);
    d.dqkvr.fill(0);
    attention_backward(d.dqkvr, d.datty, at(acts.qkvr, l, BT * 3 * C), at(acts.att, l, seq.B * NH * seq.T * seq.T), s, NH, C);
    if (model.rope) {
      d.dqkv.fill(0);
      rope_backward(d.dqkv, d.dqkvr, model.rope, s, NH, C);
    }
    d.dln.fill(0);
    matmul_backward(d.dln, dw.qkvw, dw.qkvb, d.dqkv, at(acts.ln1, l, BT * C), w.qkvw, s, C, 3 * C);
    layernorm_backward(d.dres, dw.ln1w, dw.ln1b, d.dln, residual, w.ln1w, at(acts.ln1Mean, l, BT), at(acts.ln1Rstd, l, BT), s, C);
  }
  encoder_backward(g.wte, model.rope ? null : g.wpe, d.dres, seq.tokens, s, C);
}

/** The tensor a flat parameter index belongs to (for messages and tests). */
export function tensorOf(layout: ParamLayout, index: number): ParamName {
  for (const t of layout.list) if (index >= t.offset && index < t.offset + t.size) return t.name;
  throw new Error(`parameter index ${index} is outside the layout (${layout.count} parameters)`);
}
