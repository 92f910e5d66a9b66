/**
 * One forward and backward of the transformer composed from the per-op kernels,
 * in gpt2_forward / gpt2_backward's order (src/models/transformer/model.ts),
 * all queued on one Submission: the shape of the GPU training step, to check
 * the kernels compose (whole-pass parity with model.ts) and to count its
 * dispatches. Not yet a GpuPolicyModel: no sampling, no per-visit statistics,
 * no optimizer.
 *
 * Differences from model.ts, none of which changes a gradient:
 * - every position of [B][T] is computed, padding included (model.ts stops at
 *   each sequence's length). A padded position has no target, so its logit
 *   gradient is 0 and every gradient through it is 0: the sums only gain zeros;
 * - the residual adds are the matmuls' epilogue (no residual_forward dispatch);
 * - the parameters are one buffer per tensor and layer: the kernels bind whole
 *   buffers, and tensors of the flat layout are not at the 256-byte offsets a
 *   binding needs. Training on the lane's one flat buffer (what the optimizer
 *   sees) needs an element-offset uniform per tensor binding, or a layout
 *   padded to 64 floats per tensor.
 *
 * Gradient buffers are cleared before they are added into (`sub.clear`); each
 * clear ends the compute pass, so the scratch gradients reused per layer cost
 * pass boundaries that write-instead-of-add variants of the kernels would save.
 */
import { headSize, type TransformerConfig } from '../../models/transformer/config.ts';
import { LAYERNORM_EPS, ropeTables } from '../../models/transformer/ops.ts';
import { paramLayout, type ParamLayout, type ParamName } from '../../models/transformer/params.ts';
import type { Submission } from '../submission.ts';
import type { TransformerKernels } from './kernels.ts';
import { storageBuffer } from './submit.ts';

type Buf = GPUBuffer;

interface LayerActs {
  ln1: Buf; ln1Mean: Buf; ln1Rstd: Buf; qkv: Buf; qkvr: Buf; atty: Buf; att: Buf;
  residual2: Buf; ln2: Buf; ln2Mean: Buf; ln2Rstd: Buf; fch: Buf; fchGelu: Buf; residual3: Buf;
}

/** The batch's inputs: tokens, targets (−1 where nothing is scored) and ∂L/∂log π(target), each [B·T]. */
export interface PassBatch {
  tokens: Int32Array;
  targets: Int32Array;
  dLogProb: Float32Array;
  temperature: number;
}

export class TransformerPass {
  private readonly buffers: Buf[] = [];
  private readonly layout: ParamLayout;
  /** Parameter and gradient buffers by tensor, one per layer for the layered tensors. */
  readonly params: Record<ParamName, Buf[]>;
  readonly grads: Record<ParamName, Buf[]>;
  private readonly acts: { encoded: Buf; layers: LayerActs[]; lnf: Buf; lnfMean: Buf; lnfRstd: Buf; logits: Buf; probs: Buf; logZ: Buf };
  private readonly d: { dlogits: Buf; dlnf: Buf; dres: Buf; dln: Buf; dqkv: Buf; dqkvr: Buf; datty: Buf; dfch: Buf; dfchGelu: Buf };
  private readonly input: { tokens: Buf; targets: Buf; dLogProb: Buf };
  private readonly rope: { cos: Buf; sin: Buf } | null;

  constructor(
    private readonly ops: TransformerKernels,
    readonly cfg: TransformerConfig,
    readonly B: number,
    readonly T: number,
  ) {
    const { layers: L, dModel: C, dMlp: M, heads: NH, vocabOut: V } = cfg;
    const device = ops.device;
    const BT = B * T;
    const f = (label: string, n: number | Float32Array | Int32Array) => {
      const b = storageBuffer(device, label, n);
      this.buffers.push(b);
      return b;
    };
    this.layout = paramLayout(cfg);
    const perTensor = (prefix: string) =>
      Object.fromEntries(this.layout.list.map((t) => [t.name, Array.from({ length: t.layered ? L : 1 }, (_, l) => f(`${prefix} ${t.name} ${l}`, t.perLayer))])) as Record<ParamName, Buf[]>;
    this.params = perTensor('param');
    this.grads = perTensor('grad');
    const layers = Array.from({ length: L }, (_, l): LayerActs => {
      const qkv = f(`qkv ${l}`, BT * 3 * C);
      return {
        ln1: f(`ln1 ${l}`, BT * C), ln1Mean: f(`ln1 mean ${l}`, BT), ln1Rstd: f(`ln1 rstd ${l}`, BT), qkv,
        qkvr: cfg.positions === 'rotary' ? f(`qkvr ${l}`, BT * 3 * C) : qkv,
        atty: f(`atty ${l}`, BT * C), att: f(`att ${l}`, B * NH * T * T), residual2: f(`residual2 ${l}`, BT * C),
        ln2: f(`ln2 ${l}`, BT * C), ln2Mean: f(`ln2 mean ${l}`, BT), ln2Rstd: f(`ln2 rstd ${l}`, BT),
        fch: f(`fch ${l}`, BT * M), fchGelu: f(`fch gelu ${l}`, BT * M), residual3: f(`residual3 ${l}`, BT * C),
      };
    });
    this.acts = {
      encoded: f('encoded', BT * C), layers, lnf: f('lnf', BT * C), lnfMean: f('lnf mean', BT), lnfRstd: f('lnf rstd', BT),
      logits: f('logits', BT * V), probs: f('probs', BT * V), logZ: f('logZ', BT),
    };
    const dqkv = f('dqkv', BT * 3 * C);
    this.d = {
      dlogits: f('dlogits', BT * V), dlnf: f('dlnf', BT * C), dres: f('dres', BT * C), dln: f('dln', BT * C), dqkv,
      dqkvr: cfg.positions === 'rotary' ? f('dqkvr', BT * 3 * C) : dqkv, datty: f('datty', BT * C), dfch: f('dfch', BT * M), dfchGelu: f('dfch gelu', BT * M),
    };
    this.input = { tokens: f('tokens', BT), targets: f('targets', BT), dLogProb: f('dlogprob', BT) };
    if (cfg.positions === 'rotary') {
      const tables = ropeTables(T, headSize(cfg));
      this.rope = { cos: f('rope cos', Float32Array.from(tables.cos)), sin: f('rope sin', Float32Array.from(tables.sin)) };
    } else {
      this.rope = null;
    }
  }

  /** Writes the flat parameters (model.ts's layout) into the per-tensor buffers. */
  setParams(flat: Float32Array): void {
    const q = this.ops.device.queue;
    for (const t of this.layout.list) {
      this.params[t.name].forEach((b, l) => {
        if (t.perLayer > 0) q.writeBuffer(b, 0, flat, t.offset + l * t.perLayer, t.perLayer);
      });
    }
  }

  setBatch(batch: Omit<PassBatch, 'temperature'>): void {
    const q = this.ops.device.queue;
    q.writeBuffer(this.input.tokens, 0, batch.tokens);
    q.writeBuffer(this.input.targets, 0, batch.targets);
    q.writeBuffer(this.input.dLogProb, 0, batch.dLogProb);
  }

  /** Reads back logits, probs and the flat gradient (model.ts's layout). */
  read(sub: Submission): Promise<{ probs: Float32Array; logZ: Float32Array; grad: Float32Array }> {
    const BT = this.B * this.T;
    const probs = sub.readback(this.acts.probs, 0, BT * this.cfg.vocabOut * 4);
    const logZ = sub.readback(this.acts.logZ, 0, BT * 4);
    const parts = this.layout.list.flatMap((t) => (t.perLayer > 0 ? this.grads[t.name].map((b, l) => ({ at: t.offset + l * t.perLayer, data: sub.readback(b, 0, t.perLayer * 4) })) : []));
    return (async () => {
      const grad = new Float32Array(this.layout.count);
      for (const p of parts) grad.set(new Float32Array(await p.data), p.at);
      return { probs: new Float32Array(await probs), logZ: new Float32Array(await logZ), grad };
    })();
  }

  /** Queues the forward, then the backward into zeroed gradients. */
  encode(sub: Submission, temperature: number): void {
    this.forward(sub, temperature);
    this.backward(sub, temperature);
  }

  forward(sub: Submission, temperature: number): void {
    const { ops, cfg, B, T } = this;
    const { layers: L, dModel: C, dMlp: M, heads: NH, vocabOut: V } = cfg;
    const rows = B * T;
    const p = this.params;
    const a = this.acts;
    ops.encoder_forward(sub, { rows, T, C, tokens: this.input.tokens, wte: p.wte[0], wpe: this.rope ? null : p.wpe[0], out: a.encoded });
    for (let l = 0; l < L; l++) {
      const x = a.layers[l];
      const residual = l === 0 ? a.encoded : a.layers[l - 1].residual3;
      ops.layernorm_forward(sub, { rows, C, eps: LAYERNORM_EPS, inp: residual, weight: p.ln1w[l], bias: p.ln1b[l], out: x.ln1, mean: x.ln1Mean, rstd: x.ln1Rstd });
      ops.matmul_forward(sub, { rows, C, OC: 3 * C, inp: x.ln1, weight: p.qkvw[l], bias: p.qkvb[l], out: x.qkv });
      if (this.rope) ops.rope_forward(sub, { rows, T, C, headSize: C / NH, inp: x.qkv, cos: this.rope.cos, sin: this.rope.sin, out: x.qkvr });
      ops.attention_forward(sub, { B, T, NH, C, inp: x.qkvr, out: x.atty, att: x.att });
      ops.matmul_forward(sub, { rows, C, OC: C, inp: x.atty, weight: p.attprojw[l], bias: p.attprojb[l], residual, out: x.residual2 });
      ops.layernorm_forward(sub, { rows, C, eps: LAYERNORM_EPS, inp: x.residual2, weight: p.ln2w[l], bias: p.ln2b[l], out: x.ln2, mean: x.ln2Mean, rstd: x.ln2Rstd });
      ops.matmul_forward(sub, { rows, C, OC: M, inp: x.ln2, weight: p.fcw[l], bias: p.fcb[l], out: x.fch });
      ops.gelu_forward(sub, { count: rows * M, inp: x.fch, out: x.fchGelu });
      ops.matmul_forward(sub, { rows, C: M, OC: C, inp: x.fchGelu, weight: p.fcprojw[l], bias: p.fcprojb[l], residual: x.residual2, out: x.residual3 });
    }
    const last = a.layers[L - 1].residual3;
    ops.layernorm_forward(sub, { rows, C, eps: LAYERNORM_EPS, inp: last, weight: p.lnfw[0], bias: p.lnfb[0], out: a.lnf, mean: a.lnfMean, rstd: a.lnfRstd });
    ops.matmul_forward(sub, { rows, C, OC: V, inp: a.lnf, weight: p.lmheadw[0], bias: null, out: a.logits });
    ops.logsoftmax_forward(sub, { rows, vocab: V, temperature, logits: a.logits, probs: a.probs, logZ: a.logZ });
  }

  backward(sub: Submission, temperature: number): void {
    const { ops, cfg, B, T } = this;
    const { layers: L, dModel: C, dMlp: M, heads: NH, vocabOut: V, vocabIn } = cfg;
    const rows = B * T;
    const p = this.params;
    const g = this.grads;
    const a = this.acts;
    const d = this.d;
    for (const list of Object.values(g)) for (const b of list) sub.clear(b);
    for (const b of Object.values(d)) sub.clear(b);
    ops.logsoftmax_backward(sub, { rows, vocab: V, temperature, dlogprob: this.input.dLogProb, targets: this.input.targets, probs: a.probs, dlogits: d.dlogits });
    ops.matmul_backward_input(sub, { rows, C, OC: V, dout: d.dlogits, weight: p.lmheadw[0], dinp: d.dlnf });
    ops.matmul_backward_weight(sub, { rows, C, OC: V, dout: d.dlogits, inp: a.lnf, dweight: g.lmheadw[0], dbias: null });
    ops.layernorm_backward(sub, { rows, C, dout: d.dlnf, inp: a.layers[L - 1].residual3, weight: p.lnfw[0], mean: a.lnfMean, rstd: a.lnfRstd, dinp: d.dres, dweight: g.lnfw[0], dbias: g.lnfb[0] });
    for (let l = L - 1; l >= 0; l--) {
      const x = a.layers[l];
      const residual = l === 0 ? a.encoded : a.layers[l - 1].residual3;
      // The scratch gradients are reused per layer: cleared before each adds into them.
      sub.clear(d.dfchGelu);
      ops.matmul_backward_input(sub, { rows, C: M, OC: C, dout: d.dres, weight: p.fcprojw[l], dinp: d.dfchGelu });
      ops.matmul_backward_weight(sub, { rows, C: M, OC: C, dout: d.dres, inp: x.fchGelu, dweight: g.fcprojw[l], dbias: g.fcprojb[l] });
      sub.clear(d.dfch);
      ops.gelu_backward(sub, { count: rows * M, inp: x.fch, dout: d.dfchGelu, dinp: d.dfch });
      sub.clear(d.dln);
      ops.matmul_backward_input(sub, { rows, C, OC: M, dout: d.dfch, weight: p.fcw[l], dinp: d.dln });
      ops.matmul_backward_weight(sub, { rows, C, OC: M, dout: d.dfch, inp: x.ln2, dweight: g.fcw[l], dbias: g.fcb[l] });
      ops.layernorm_backward(sub, { rows, C, dout: d.dln, inp: x.residual2, weight: p.ln2w[l], mean: x.ln2Mean, rstd: x.ln2Rstd, dinp: d.dres, dweight: g.ln2w[l], dbias: g.ln2b[l] });
      sub.clear(d.datty);
      ops.matmul_backward_input(sub, { rows, C, OC: C, dout: d.dres, weight: p.attprojw[l], dinp: d.datty });
      ops.matmul_backward_weight(sub, { rows, C, OC: C, dout: d.dres, inp: x.atty, dweight: g.attprojw[l], dbias: g.attprojb[l] });
      sub.clear(d.dqkvr);
      ops.attention_backward(sub, { B, T, NH, C, inp: x.qkvr, att: x.att, dout: d.datty, dinp: d.dqkvr });
      if (this.rope) {
        sub.clear(d.dqkv);
        ops.rope_backward(sub, { rows, T, C, headSize: C / NH, dout: d.dqkvr, cos: this.rope.cos, sin: this.rope.sin, dinp: d.dqkv });
      }
      sub.clear(d.dln);
      ops.matmul_backward_input(sub, { rows, C, OC: 3 * C, dout: d.dqkv, weight: p.qkvw[l], dinp: d.dln });
      ops.matmul_backward_weight(sub, { rows, C, OC: 3 * C, dout: d.dqkv, inp: x.ln1, dweight: g.qkvw[l], dbias: g.qkvb[l] });
      ops.layernorm_backward(sub, { rows, C, dout: d.dln, inp: residual, weight: p.ln1w[l], mean: x.ln1Mean, rstd: x.ln1Rstd, dinp: d.dres, dweight: g.ln1w[l], dbias: g.ln1b[l] });
    }
    ops.encoder_backward(sub, { rows, T, C, vocab: vocabIn, tokens: this.input.tokens, dout: d.dres, dwte: g.wte[0], dwpe: this.rope ? null : g.wpe[0] });
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
  }
}
