/**
 * The transformer as a GpuPolicyModel (src/gpu/policies/types.ts): the CPU
 * adapter's model (src/engine/policies/transformer.ts over
 * src/models/transformer/model.ts) composed from the kernels of
 * shaders/transformer/, every dispatch queued on the lane's Submission.
 *
 * - prepare(T): pack_params, the lane's flat parameters and reference into
 *   the padded layout the kernels bind (./layout.ts);
 * - visits(batch, T): build_context (the packed prompt + answer rows and
 *   their targets from the device batch and the prompt table), the
 *   reference's forward (its logits and log Z kept in the second half of the
 *   head buffers), the policy's forward (its activations kept for the
 *   backward), then visit_stats;
 * - backward(batch): logits_grad (the upstream per visit to ∂L/∂z, entropy
 *   term included), gpt2_backward's kernels into the padded gradient, then
 *   unpack_grad (flat gradient and Σ g² terms);
 * - sample: incremental decoding, as decode() in
 *   src/models/transformer/sampling.ts: one forward over the prompts (the
 *   longest's length), sample_token for answer position 0, then per later
 *   position one decode step over one row per answer (decode_embed, the
 *   layers on compact [N][C] rows with attention_decode reading and extending
 *   the KV cache: the prompt forward's qkv plus a per-layer extension), then
 *   sample_token (inverse CDF with the CPU's counter-based draws). Each row is
 *   the same sums in the same order as a full forward's. Rotary positions
 *   take the full forward per position (no decode kernels for them yet).
 *
 * Rows are [count][S] with S = the longest prompt of the batch (with its
 * separator) + max_len − 1 for visits, and the longest prompt + position for
 * each sampling step; padded positions are computed but never read by a real
 * one (causal attention), and have no target, so their gradient is 0.
 */
import { headSize, type TransformerConfig } from '../../models/transformer/config.ts';
import { LAYERNORM_EPS, ropeTables } from '../../models/transformer/ops.ts';
import type { ParamName } from '../../models/transformer/params.ts';
import { transformerConfigOf } from '../../models/transformer/shape.ts';
import type { PolicyShape } from '../../engine/policies/types.ts';
import type { StreamId } from '../../engine/prng.ts';
import type { Kernel } from '../kernels.ts';
import type { ArenaRange, Binding, BufferRange, Submission } from '../submission.ts';
import { workgroupSizeFor } from '../device.ts';
import type { DeviceBatch, GpuPolicyContext, GpuPolicyModel } from '../policies/types.ts';
import { TRANSFORMER_KERNELS, TransformerKernels } from './kernels.ts';
import { PAD_FLOATS, paddedLayout, type PaddedLayout } from './layout.ts';

/** The kernels the policy model adds to the per-op ones. */
export const TRANSFORMER_POLICY_KERNELS = [
  ...TRANSFORMER_KERNELS,
  'transformer/pack_params',
  'transformer/unpack_grad',
  'transformer/build_context',
  'transformer/visit_stats',
  'transformer/logits_grad',
  'transformer/sample_token',
  'transformer/decode_embed',
  'transformer/attention_decode',
] as const;

/** How the matmuls read their operands in the policy (see TransformerKernelShape.matmul). */
export const POLICY_MATMUL: 'shared' | 'direct' = 'direct';

/** Flat parameters per Σ g² term of unpack_grad.wgsl (its CHUNK). */
const GRAD_CHUNK = 64;

interface LayerActs {
  ln1: GPUBuffer; ln1Mean: GPUBuffer; ln1Rstd: GPUBuffer; qkv: GPUBuffer; qkvr: GPUBuffer; atty: GPUBuffer; att: GPUBuffer;
  residual2: GPUBuffer; ln2: GPUBuffer; ln2Mean: GPUBuffer; ln2Rstd: GPUBuffer; fch: GPUBuffer; fchGelu: GPUBuffer; residual3: GPUBuffer;
}

/** Activations and their gradients for up to `rows` rows and `att` attention entries. */
interface Acts {
  rows: number;
  att: number;
  tokens: GPUBuffer;
  targets: GPUBuffer;
  encoded: GPUBuffer;
  layers: LayerActs[];
  lnf: GPUBuffer; lnfMean: GPUBuffer; lnfRstd: GPUBuffer;
  /** [policy | reference] halves, each `head` floats (logits, probs) or `zHalf` (log Z). */
  logits: GPUBuffer; probs: GPUBuffer; logZ: GPUBuffer;
  head: number;
  zHalf: number;
  d: Record<'dlogits' | 'dlnf' | 'dres' | 'dln' | 'dqkv' | 'dqkvr' | 'datty' | 'dfch', GPUBuffer>;
}

/** A decode step's compact activations ([count] rows, reused by every layer) and each layer's KV extension. */
interface Decode {
  count: number;
  x: GPUBuffer; ln: GPUBuffer; mean: GPUBuffer; rstd: GPUBuffer; qkv: GPUBuffer; atty: GPUBuffer; res2: GPUBuffer;
  fch: GPUBuffer; fchGelu: GPUBuffer; lnf: GPUBuffer; logits: GPUBuffer; probs: GPUBuffer; logZ: GPUBuffer;
  ext: GPUBuffer[];
}

const pad = (n: number) => Math.ceil(Math.max(n, 1) / PAD_FLOATS) * PAD_FLOATS;

export class TransformerGpuModel implements GpuPolicyModel {
  readonly cfg: TransformerConfig;
  readonly ops: TransformerKernels;
  /** Dispatches queued by this model (the per-op kernels' and its own). */
  private own = 0;
  private readonly layout: PaddedLayout;
  private readonly L: number;
  private readonly V: number;
  private readonly promptLengths: number[];
  private readonly longestPrompt: number;
  private readonly b: { segs: GPUBuffer; params: GPUBuffer; ref: GPUBuffer; grad: GPUBuffer; prompts: GPUBuffer; terms: GPUBuffer; cos: GPUBuffer | null; sin: GPUBuffer | null };
  private acts: Acts | null = null;
  private dec: Decode | null = null;
  private readonly outgrown: GPUBuffer[] = [];
  /** The batch of the last `visits` (backward runs on its activations). */
  private last: { batch: DeviceBatch; S: number; T: number } | null = null;

  constructor(
    private readonly ctx: GpuPolicyContext,
    readonly shape: PolicyShape,
    private readonly k: Record<string, Kernel>,
  ) {
    const net = shape.net;
    if (!net) throw new Error('a transformer policy shape carries its network (shape.net)');
    this.cfg = transformerConfigOf(shape);
    this.L = shape.maxLen;
    this.V = shape.vocab;
    this.layout = paddedLayout(this.cfg);
    this.ops = TransformerKernels.fromKernels(ctx.device, k, {
      context: this.cfg.context,
      headSize: headSize(this.cfg),
      vocab: shape.vocab,
      workgroupSize: workgroupSizeFor(ctx.device.limits),
      matmul: POLICY_MATMUL,
    });
    this.promptLengths = net.prompts.map((p) => p.length);
    this.longestPrompt = Math.max(1, ...this.promptLengths);
    const P = net.prompts.length;
    const table = new Uint32Array(2 * P + net.prompts.reduce((s, p) => s + p.length, 0));
    let at = 2 * P;
    net.prompts.forEach((p, i) => {
      table[i] = at;
      table[P + i] = p.length;
      table.set(p, at);
      at += p.length;
    });
    const q = ctx.device.queue;
    const upload = (label: string, data: Uint32Array | Float32Array) => {
      const buffer = ctx.createBuffer(label, data.byteLength);
      q.writeBuffer(buffer, 0, data);
      return buffer;
    };
    const padded = this.layout.count * 4;
    let cos: GPUBuffer | null = null;
    let sin: GPUBuffer | null = null;
    if (this.cfg.positions === 'rotary') {
      const rope = ropeTables(this.cfg.context, headSize(this.cfg));
      cos = upload('rope cos', Float32Array.from(rope.cos));
      sin = upload('rope sin', Float32Array.from(rope.sin));
    }
    this.b = {
      segs: upload('parameter segments', this.layout.table),
      params: ctx.createBuffer('padded parameters', padded),
      ref: ctx.createBuffer('padded reference', padded),
      grad: ctx.createBuffer('padded gradient', padded),
      prompts: upload('prompt tokens', table),
      terms: ctx.createBuffer('gradient square terms', Math.ceil(this.layout.flatCount / GRAD_CHUNK) * 16),
      cos,
      sin,
    };
  }

  /** Dispatches queued since creation. */
  get dispatches(): number {
    return this.own + this.ops.dispatches;
  }

  // ------------------------------------------------------------------ the seam

  prepare(sub: Submission, _T: number): void {
    this.pack(sub);
  }

  visits(sub: Submission, batch: DeviceBatch, T: number, out: { visits: GPUBuffer; greedy: GPUBuffer }, withGreedy: boolean): void {
    const N = batch.count;
    let longest = 1;
    for (let n = 0; n < N; n++) longest = Math.max(longest, this.promptLengths[batch.promptOf[n]]);
    const S = longest + this.L - 1;
    const a = this.ensure(N, S);
    this.run(sub, 'build_context', { count: N, seq_len: S, generated: this.L }, { batch: batch.binding, prompt_of: batch.binding, prompts: this.b.prompts, tokens: a.tokens, targets: a.targets }, N * S);
    this.forward(sub, a, 'ref', N, S, T);
    this.forward(sub, a, 'policy', N, S, T);
    this.run(
      sub,
      'visit_stats',
      { count: N, seq_len: S, temperature: T, ref_offset: a.head, ref_z_offset: a.zHalf, with_greedy: withGreedy ? 1 : 0 },
      { batch: batch.binding, prompts: this.b.prompts, logits: a.logits, probs: a.probs, log_z: a.logZ, visits: out.visits, greedy: out.greedy },
      N * this.L,
    );
    this.last = { batch, S, T };
  }

  sample(sub: Submission, prompts: ArenaRange, count: number, batch: GPUBuffer, draw: { seed: number; stream: StreamId; step: number; temperature: number }): void {
    this.pack(sub);
    const N = count;
    const draws = (t: number, S: number, compact: boolean, probs: GPUBuffer) =>
      this.run(
        sub,
        'sample_token',
        { seed: draw.seed, stream: draw.stream, step: draw.step, count: N, seq_len: S, position: t, compact: compact ? 1 : 0 },
        { prompt_of: prompts, prompts: this.b.prompts, probs, batch },
        N,
      );
    const context = (a: Acts, S: number, t: number) =>
      this.run(sub, 'build_context', { count: N, seq_len: S, generated: t }, { batch, prompt_of: prompts, prompts: this.b.prompts, tokens: a.tokens, targets: a.targets }, N * S);
    if (this.cfg.positions === 'rotary') {
      const a = this.ensure(N, this.longestPrompt + this.L - 1);
      for (let t = 0; t < this.L; t++) {
        const S = this.longestPrompt + t;
        context(a, S, t);
        this.forward(sub, a, 'policy', N, S, draw.temperature);
        draws(t, S, false, a.probs);
      }
    } else {
      const S0 = this.longestPrompt;
      const a = this.ensure(N, S0);
      context(a, S0, 0);
      this.forward(sub, a, 'policy', N, S0, draw.temperature);
      draws(0, S0, false, a.probs);
      const d = this.decodeBuffers(N);
      for (let t = 1; t < this.L; t++) {
        this.decodeStep(sub, a, d, prompts, batch, N, S0, t, draw.temperature);
        draws(t, 1, true, d.probs);
      }
    }
    // The activations now hold a sampling step's forward, not a batch's visits.
    this.last = null;
  }

  backward(sub: Submission, batch: DeviceBatch, visitGrad: GPUBuffer, T: number): { terms: GPUBuffer; count: number } {
    const last = this.last;
    if (!last || last.batch.binding !== batch.binding || last.batch.count !== batch.count) {
      throw new Error('transformer backward: it runs on the activations of the last visits(), which were of another batch');
    }
    if (last.T !== T) throw new Error(`transformer backward at temperature ${T}, its forward ran at ${last.T}`);
    const a = this.acts!;
    const N = batch.count;
    const S = last.S;
    sub.clear(this.b.grad);
    this.run(
      sub,
      'logits_grad',
      { count: N, seq_len: S, temperature: T },
      { batch: batch.binding, prompts: this.b.prompts, visit_grad: visitGrad, logits: a.logits, probs: a.probs, log_z: a.logZ, dlogits: a.d.dlogits },
      N * S,
    );
    this.backwardFromLogits(sub, a, N, S);
    const chunks = Math.ceil(this.layout.flatCount / GRAD_CHUNK);
    this.run(sub, 'unpack_grad', { count: this.layout.flatCount, segments: this.layout.segments.length }, { segs: this.b.segs, padded_grad: this.b.grad, grad: this.ctx.grad, terms: this.b.terms }, chunks);
    return { terms: this.b.terms, count: chunks };
  }

  destroy(): void {
    for (const buffer of [...Object.values(this.b), ...this.outgrown]) buffer?.destroy();
    if (this.acts) for (const buffer of actBuffers(this.acts)) buffer.destroy();
    this.acts = null;
    if (this.dec) for (const buffer of decodeBuffers(this.dec)) buffer.destroy();
    this.dec = null;
    this.ops.destroy();
  }

  // ------------------------------------------------------------------ the passes

  private run(sub: Submission, name: string, uniforms: Record<string, number>, buffers: Record<string, Binding>, invocations: number): void {
    sub.run(this.k[name], uniforms, buffers, this.ctx.groups(invocations));
    this.own++;
  }

  private pack(sub: Submission): void {
    const count = this.layout.flatCount;
    this.run(
      sub,
      'pack_params',
      { count, segments: this.layout.segments.length },
      { segs: this.b.segs, flat_params: this.ctx.params, flat_ref: this.ctx.ref, padded_params: this.b.params, padded_ref: this.b.ref },
      count,
    );
  }

  private param(which: 'policy' | 'ref' | 'grad', name: ParamName, layer = 0): BufferRange {
    const s = this.layout.at(name, layer);
    const buffer = which === 'policy' ? this.b.params : which === 'ref' ? this.b.ref : this.b.grad;
    return { buffer, offset: s.padded * 4, size: s.size * 4 };
  }

  /** gpt2_forward over [N][S] rows of `a.tokens`; the head's outputs go to the policy's or the reference's half. */
  private forward(sub: Submission, a: Acts, which: 'policy' | 'ref', N: number, S: number, temperature: number): void {
    const { ops, cfg } = this;
    const { layers: L, dModel: C, dMlp: M, heads: NH, vocabOut: V } = cfg;
    const rows = N * S;
    const p = (name: ParamName, l = 0) => this.param(which, name, l);
    const rotary = cfg.positions === 'rotary';
    ops.encoder_forward(sub, { rows, T: S, C, tokens: a.tokens, wte: p('wte'), wpe: rotary ? null : p('wpe'), out: a.encoded });
    for (let l = 0; l < L; l++) {
      const x = a.layers[l];
      const residual = l === 0 ? a.encoded : a.layers[l - 1].residual3;
      ops.layernorm_forward(sub, { rows, C, eps: LAYERNORM_EPS, inp: residual, weight: p('ln1w', l), bias: p('ln1b', l), out: x.ln1, mean: x.ln1Mean, rstd: x.ln1Rstd });
      ops.matmul_forward(sub, { rows, C, OC: 3 * C, inp: x.ln1, weight: p('qkvw', l), bias: p('qkvb', l), out: x.qkv });
      if (rotary) ops.rope_forward(sub, { rows, T: S, C, headSize: C / NH, inp: x.qkv, cos: this.b.cos!, sin: this.b.sin!, out: x.qkvr });
      ops.attention_forward(sub, { B: N, T: S, NH, C, inp: x.qkvr, out: x.atty, att: x.att });
      ops.matmul_forward(sub, { rows, C, OC: C, inp: x.atty, weight: p('attprojw', l), bias: p('attprojb', l), residual, out: x.residual2 });
      ops.layernorm_forward(sub, { rows, C, eps: LAYERNORM_EPS, inp: x.residual2, weight: p('ln2w', l), bias: p('ln2b', l), out: x.ln2, mean: x.ln2Mean, rstd: x.ln2Rstd });
      ops.matmul_forward(sub, { rows, C, OC: M, inp: x.ln2, weight: p('fcw', l), bias: p('fcb', l), out: x.fch, gelu: x.fchGelu });
      ops.matmul_forward(sub, { rows, C: M, OC: C, inp: x.fchGelu, weight: p('fcprojw', l), bias: p('fcprojb', l), residual: x.residual2, out: x.residual3 });
    }
    const half = which === 'ref' ? 1 : 0;
    const head = (buffer: GPUBuffer, per: number, n: number): BufferRange => ({ buffer, offset: half * per * 4, size: n * 4 });
    ops.layernorm_forward(sub, { rows, C, eps: LAYERNORM_EPS, inp: a.layers[L - 1].residual3, weight: p('lnfw'), bias: p('lnfb'), out: a.lnf, mean: a.lnfMean, rstd: a.lnfRstd });
    ops.matmul_forward(sub, { rows, C, OC: V, inp: a.lnf, weight: p('lmheadw'), bias: null, out: head(a.logits, a.head, rows * V) });
    ops.logsoftmax_forward(sub, { rows, vocab: V, temperature, logits: head(a.logits, a.head, rows * V), probs: head(a.probs, a.head, rows * V), logZ: head(a.logZ, a.zHalf, rows) });
  }

  /**
   * The forward of answer position t ≥ 1 on one row per answer (its new
   * position plen + t − 1), the policy's parameters, into d.probs; attention
   * reads the keys and values of earlier positions from a's qkv (the prompt
   * forward, [N][S0]) and each layer's extension, and adds this position's.
   */
  private decodeStep(sub: Submission, a: Acts, d: Decode, prompts: ArenaRange, batch: GPUBuffer, N: number, S0: number, t: number, temperature: number): void {
    const { ops, cfg } = this;
    const { layers: L, dModel: C, dMlp: M, heads: NH, vocabOut: V } = cfg;
    const p = (name: ParamName, l = 0) => this.param('policy', name, l);
    this.run(sub, 'decode_embed', { count: N, channels: C, position: t, use_wpe: 1 }, { batch, prompt_of: prompts, prompts: this.b.prompts, wte: p('wte'), wpe: p('wpe'), out: d.x }, N * C);
    for (let l = 0; l < L; l++) {
      ops.layernorm_forward(sub, { rows: N, C, eps: LAYERNORM_EPS, inp: d.x, weight: p('ln1w', l), bias: p('ln1b', l), out: d.ln, mean: d.mean, rstd: d.rstd });
      ops.matmul_forward(sub, { rows: N, C, OC: 3 * C, inp: d.ln, weight: p('qkvw', l), bias: p('qkvb', l), out: d.qkv });
      this.run(
        sub,
        'attention_decode',
        { count: N, heads: NH, channels: C, prefix: S0, position: t, scale: 1 / Math.sqrt(C / NH) },
        { prompt_of: prompts, prompts: this.b.prompts, qkv: d.qkv, cache: a.layers[l].qkv, ext: d.ext[l], out: d.atty },
        N * NH,
      );
      ops.matmul_forward(sub, { rows: N, C, OC: C, inp: d.atty, weight: p('attprojw', l), bias: p('attprojb', l), residual: d.x, out: d.res2 });
      ops.layernorm_forward(sub, { rows: N, C, eps: LAYERNORM_EPS, inp: d.res2, weight: p('ln2w', l), bias: p('ln2b', l), out: d.ln, mean: d.mean, rstd: d.rstd });
      ops.matmul_forward(sub, { rows: N, C, OC: M, inp: d.ln, weight: p('fcw', l), bias: p('fcb', l), out: d.fch, gelu: d.fchGelu });
      // The layer's output replaces its input (read only by ln1 and the attention projection's residual, above).
      ops.matmul_forward(sub, { rows: N, C: M, OC: C, inp: d.fchGelu, weight: p('fcprojw', l), bias: p('fcprojb', l), residual: d.res2, out: d.x });
    }
    ops.layernorm_forward(sub, { rows: N, C, eps: LAYERNORM_EPS, inp: d.x, weight: p('lnfw'), bias: p('lnfb'), out: d.lnf, mean: d.mean, rstd: d.rstd });
    ops.matmul_forward(sub, { rows: N, C, OC: V, inp: d.lnf, weight: p('lmheadw'), bias: null, out: d.logits });
    ops.logsoftmax_forward(sub, { rows: N, vocab: V, temperature, logits: d.logits, probs: d.probs, logZ: d.logZ });
  }

  private decodeBuffers(N: number): Decode {
    if (this.dec && this.dec.count >= N) return this.dec;
    if (this.dec) this.outgrown.push(...decodeBuffers(this.dec)); // queued work may still use them
    const { layers: L, dModel: C, dMlp: M } = this.cfg;
    const V = this.V;
    const f = (label: string, floats: number) => this.ctx.createBuffer(`transformer decode ${label}`, Math.max(floats, 4) * 4);
    this.dec = {
      count: N,
      x: f('x', N * C), ln: f('ln', N * C), mean: f('mean', N), rstd: f('rstd', N), qkv: f('qkv', N * 3 * C), atty: f('atty', N * C), res2: f('residual2', N * C),
      fch: f('fch', N * M), fchGelu: f('fch gelu', N * M), lnf: f('lnf', N * C), logits: f('logits', N * V), probs: f('probs', N * V), logZ: f('log z', N),
      ext: Array.from({ length: L }, (_, l) => f(`kv ${l}`, N * this.L * 2 * C)),
    };
    return this.dec;
  }

  /** gpt2_backward from a.d.dlogits, adding into the padded gradient (cleared by the caller). */
  private backwardFromLogits(sub: Submission, a: Acts, N: number, S: number): void {
    const { ops, cfg } = this;
    const { layers: L, dModel: C, dMlp: M, heads: NH, vocabOut: V, vocabIn } = cfg;
    const rows = N * S;
    const p = (name: ParamName, l = 0) => this.param('policy', name, l);
    const g = (name: ParamName, l = 0) => this.param('grad', name, l);
    const d = a.d;
    const rotary = cfg.positions === 'rotary';
    const clear = (buffer: GPUBuffer, floats: number) => sub.clear(buffer, 0, Math.ceil(floats / 4) * 16);
    // The input gradients of the matmuls are written (assign), not added: no
    // clear before them. dres gathers the residual stream's gradient (added
    // into by every layernorm_backward) and dqkvr is added into by
    // attention_backward: those two are cleared.
    clear(d.dres, rows * C);
    ops.matmul_backward_input(sub, { rows, C, OC: V, dout: d.dlogits, weight: p('lmheadw'), dinp: d.dlnf, assign: true });
    ops.matmul_backward_weight(sub, { rows, C, OC: V, dout: d.dlogits, inp: a.lnf, dweight: g('lmheadw'), dbias: null });
    ops.layernorm_backward(sub, { rows, C, dout: d.dlnf, inp: a.layers[L - 1].residual3, weight: p('lnfw'), mean: a.lnfMean, rstd: a.lnfRstd, dinp: d.dres, dweight: g('lnfw'), dbias: g('lnfb') });
    for (let l = L - 1; l >= 0; l--) {
      const x = a.layers[l];
      const residual = l === 0 ? a.encoded : a.layers[l - 1].residual3;
      // ∂L/∂fch directly: the projection's input gradient times GELU's derivative (gelu_backward fused in).
      ops.matmul_backward_input(sub, { rows, C: M, OC: C, dout: d.dres, weight: p('fcprojw', l), dinp: d.dfch, assign: true, geluInp: x.fch });
      ops.matmul_backward_weight(sub, { rows, C: M, OC: C, dout: d.dres, inp: x.fchGelu, dweight: g('fcprojw', l), dbias: g('fcprojb', l) });
      ops.matmul_backward_input(sub, { rows, C, OC: M, dout: d.dfch, weight: p('fcw', l), dinp: d.dln, assign: true });
      ops.matmul_backward_weight(sub, { rows, C, OC: M, dout: d.dfch, inp: x.ln2, dweight: g('fcw', l), dbias: g('fcb', l) });
      ops.layernorm_backward(sub, { rows, C, dout: d.dln, inp: x.residual2, weight: p('ln2w', l), mean: x.ln2Mean, rstd: x.ln2Rstd, dinp: d.dres, dweight: g('ln2w', l), dbias: g('ln2b', l) });
      ops.matmul_backward_input(sub, { rows, C, OC: C, dout: d.dres, weight: p('attprojw', l), dinp: d.datty, assign: true });
      ops.matmul_backward_weight(sub, { rows, C, OC: C, dout: d.dres, inp: x.atty, dweight: g('attprojw', l), dbias: g('attprojb', l) });
      clear(d.dqkvr, rows * 3 * C);
      ops.attention_backward(sub, { B: N, T: S, NH, C, inp: x.qkvr, att: x.att, dout: d.datty, dinp: d.dqkvr });
      if (rotary) {
        clear(d.dqkv, rows * 3 * C);
        ops.rope_backward(sub, { rows, T: S, C, headSize: C / NH, dout: d.dqkvr, cos: this.b.cos!, sin: this.b.sin!, dinp: d.dqkv });
      }
      ops.matmul_backward_input(sub, { rows, C, OC: 3 * C, dout: d.dqkv, weight: p('qkvw', l), dinp: d.dln, assign: true });
      ops.matmul_backward_weight(sub, { rows, C, OC: 3 * C, dout: d.dqkv, inp: x.ln1, dweight: g('qkvw', l), dbias: g('qkvb', l) });
      ops.layernorm_backward(sub, { rows, C, dout: d.dln, inp: residual, weight: p('ln1w', l), mean: x.ln1Mean, rstd: x.ln1Rstd, dinp: d.dres, dweight: g('ln1w', l), dbias: g('ln1b', l) });
    }
    ops.encoder_backward(sub, { rows, T: S, C, vocab: vocabIn, tokens: a.tokens, dout: d.dres, dwte: g('wte'), dwpe: rotary ? null : g('wpe') });
  }

  /** Activations for N sequences of S positions, grown (doubling) when a batch outgrows them. */
  private ensure(N: number, S: number): Acts {
    const rows = N * S;
    const att = N * this.cfg.heads * S * S;
    const have = this.acts;
    if (have && have.rows >= rows && have.att >= att) return have;
    if (have) this.outgrown.push(...actBuffers(have)); // queued work may still use them: destroyed with the model
    this.acts = this.allocate(Math.max(rows, 2 * (have?.rows ?? 0)), Math.max(att, 2 * (have?.att ?? 0)));
    return this.acts;
  }

  private allocate(R: number, attEntries: number): Acts {
    const { layers: L, dModel: C, dMlp: M } = this.cfg;
    const V = this.V;
    const f = (label: string, floats: number) => this.ctx.createBuffer(`transformer ${label}`, floats * 4);
    const rotary = this.cfg.positions === 'rotary';
    const layers = Array.from({ length: L }, (_, l): LayerActs => {
      const qkv = f(`qkv ${l}`, R * 3 * C);
      return {
        ln1: f(`ln1 ${l}`, R * C), ln1Mean: f(`ln1 mean ${l}`, R), ln1Rstd: f(`ln1 rstd ${l}`, R), qkv,
        qkvr: rotary ? f(`qkvr ${l}`, R * 3 * C) : qkv,
        atty: f(`atty ${l}`, R * C), att: f(`att ${l}`, attEntries), residual2: f(`residual2 ${l}`, R * C),
        ln2: f(`ln2 ${l}`, R * C), ln2Mean: f(`ln2 mean ${l}`, R), ln2Rstd: f(`ln2 rstd ${l}`, R),
        fch: f(`fch ${l}`, R * M), fchGelu: f(`fch gelu ${l}`, R * M), residual3: f(`residual3 ${l}`, R * C),
      };
    });
    const head = pad(R * V);
    const zHalf = pad(R);
    const dqkv = f('dqkv', R * 3 * C);
    return {
      rows: R,
      att: attEntries,
      tokens: f('tokens', R),
      targets: f('targets', R),
      encoded: f('encoded', R * C),
      layers,
      lnf: f('lnf', R * C), lnfMean: f('lnf mean', R), lnfRstd: f('lnf rstd', R),
      logits: f('logits', 2 * head), probs: f('probs', 2 * head), logZ: f('log z', 2 * zHalf),
      head,
      zHalf,
      d: {
        dlogits: f('dlogits', R * V), dlnf: f('dlnf', R * C), dres: f('dres', R * C), dln: f('dln', R * C), dqkv,
        dqkvr: rotary ? f('dqkvr', R * 3 * C) : dqkv, datty: f('datty', R * C), dfch: f('dfch', R * M),
      },
    };
  }
}

function decodeBuffers(d: Decode): GPUBuffer[] {
  const { count: _count, ext, ...rest } = d;
  return [...Object.values(rest), ...ext];
}

function actBuffers(a: Acts): GPUBuffer[] {
  const set = new Set<GPUBuffer>([a.tokens, a.targets, a.encoded, a.lnf, a.lnfMean, a.lnfRstd, a.logits, a.probs, a.logZ, ...Object.values(a.d)]);
  for (const l of a.layers) for (const b of Object.values(l)) set.add(b);
  return [...set];
}
