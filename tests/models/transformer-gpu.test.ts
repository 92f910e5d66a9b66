/**
 * One op, one kernel, one parity test (gpu.cpp's unittest_llmc): each WGSL
 * kernel of shaders/transformer/ against its CPU op in
 * src/models/transformer/ops.ts, on shapes that are multiples of no tile
 * (37 rows, C 20, OC 61, 4 heads of 5 channels, T 13), within 1e-4 of each
 * tensor's largest magnitude; and two dispatches of a kernel give the same bits.
 * Backward kernels start from non-zero gradients, so their "adds into"
 * convention is checked too. Float32 inputs; the CPU runs them in float64.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GpuRuntime } from '../../src/gpu/runtime.ts';
import { loadShaderSources } from '../../src/gpu/shaders.ts';
import { Submission } from '../../src/gpu/submission.ts';
import { TransformerKernels } from '../../src/gpu/transformer/kernels.ts';
import { TransformerPass } from '../../src/gpu/transformer/pass.ts';
import { storageBuffer, submitOnce } from '../../src/gpu/transformer/submit.ts';
import {
  attention_backward,
  attention_forward,
  encoder_backward,
  encoder_forward,
  gelu_backward,
  gelu_forward,
  LAYERNORM_EPS,
  layernorm_backward,
  layernorm_forward,
  logsoftmax_backward,
  matmul_backward,
  matmul_forward,
  rope_backward,
  rope_forward,
  ropeTables,
  softmax_forward,
  type Span,
} from '../../src/models/transformer/ops.ts';
import { transformerConfig } from '../../src/models/transformer/config.ts';
import { backward, createActivationGrads, createActivations, createGradients, createTransformer, forward } from '../../src/models/transformer/model.ts';
import { gpu } from '../gpu/helpers.ts';
import { expectAllclose } from '../shared/allclose.ts';
import { randomBatch, randomModel } from './transformer/helpers.ts';

const RTOL = 1e-4;
// Attention and encoder: B·T = 39 rows; the row-wise ops: 37.
const B = 3;
const T = 13;
const NH = 4;
const C = 20;
const HS = C / NH;
const ROWS = 37;
const OC = 61;
const VOCAB = 23;

/** mulberry32: reproducible test inputs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function floats(n: number, seed: number, scale = 1): Float32Array {
  const r = random(seed);
  return Float32Array.from({ length: n }, () => (2 * r() - 1) * scale);
}

const f64 = (x: Float32Array) => Float64Array.from(x);
const fullSpan = (b: number, t: number): Span => ({ B: b, T: t, lo: new Int32Array(b), hi: new Int32Array(b).fill(t) });

/** Largest |gpu − cpu| over the tensor's largest |cpu|, per kernel output, printed at the end. */
const errors: Record<string, number> = {};

function expectParity(actual: Float32Array, expected: ArrayLike<number>, what: string): void {
  let worst = 0;
  let largest = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    largest = Math.max(largest, Math.abs(expected[i]));
  }
  errors[what] = worst / (largest || 1);
  expectAllclose(actual, expected, { rtol: RTOL, scale: 'array' }, what);
}

describe.skipIf(!gpu)('transformer WGSL kernels against ops.ts', () => {
  let runtime: GpuRuntime;
  let ops: TransformerKernels;
  let direct: TransformerKernels;
  let device: GPUDevice;
  const made: GPUBuffer[] = [];

  beforeAll(async () => {
    runtime = await GpuRuntime.create(gpu!);
    device = runtime.device;
    ops = await TransformerKernels.create(runtime, await loadShaderSources(), { context: T, headSize: HS, vocab: VOCAB });
    direct = await TransformerKernels.create(runtime, await loadShaderSources(), { context: T, headSize: HS, vocab: VOCAB, matmul: 'direct' });
  });

  // A validation error would skip a dispatch silently (and two skipped dispatches agree bit for bit).
  afterEach(() => expect(runtime.gd.firstError()).toBeNull());

  afterAll(() => {
    for (const b of made) b.destroy();
    ops?.destroy();
    direct?.destroy();
    runtime?.gd.device.destroy();
    const table = Object.entries(errors).map(([k, v]) => `  ${k}: ${v.toExponential(2)}`);
    console.log(`transformer kernels, max |GPU − CPU| / max |CPU| per output:\n${table.join('\n')}`);
  });

  const buf = (label: string, data: Float32Array | Int32Array | number) => {
    const b = storageBuffer(device, label, data);
    made.push(b);
    return b;
  };

  /**
   * Runs `queue` twice, each time on fresh copies of `inputs` (so kernels that
   * add into a buffer start from the same values), reads back `outputs`, and
   * checks that both runs gave the same bits. Returns the first run's outputs.
   */
  async function twice(
    inputs: Record<string, Float32Array | Int32Array | number>,
    outputs: string[],
    queue: (sub: Submission, b: Record<string, GPUBuffer>) => void,
  ): Promise<Record<string, Float32Array>> {
    const runs: Record<string, Float32Array>[] = [];
    for (let run = 0; run < 2; run++) {
      const b = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, buf(k, v)]));
      const sub = new Submission();
      queue(sub, b);
      const reads = outputs.map((name) => sub.readback(b[name], 0, b[name].size));
      await submitOnce(device, sub);
      const data = await Promise.all(reads);
      runs.push(Object.fromEntries(outputs.map((name, i) => [name, new Float32Array(data[i])])));
    }
    for (const name of outputs) {
      expect(Buffer.from(runs[1][name].buffer).equals(Buffer.from(runs[0][name].buffer)), `${name}: two dispatches give the same bits`).toBe(true);
    }
    return runs[0];
  }

  const head = <A extends Float32Array>(a: A, n: number) => a.subarray(0, n) as A;

  it('encoder_forward and encoder_backward (gather per row of wte and wpe)', async () => {
    const rows = B * T;
    const r = random(1);
    const tokens = Int32Array.from({ length: rows }, () => Math.floor(r() * VOCAB));
    tokens[5] = VOCAB - 1;
    const wte = floats(VOCAB * C, 2);
    const wpe = floats(T * C, 3);
    const dout = floats(rows * C, 4);
    const dwte0 = floats(VOCAB * C, 5, 0.1);
    const dwpe0 = floats(T * C, 6, 0.1);
    const got = await twice({ tokens, wte, wpe, out: rows * C, dout, dwte: dwte0, dwpe: dwpe0 }, ['out', 'dwte', 'dwpe'], (sub, b) => {
      ops.encoder_forward(sub, { rows, T, C, tokens: b.tokens, wte: b.wte, wpe: b.wpe, out: b.out });
      ops.encoder_backward(sub, { rows, T, C, vocab: VOCAB, tokens: b.tokens, dout: b.dout, dwte: b.dwte, dwpe: b.dwpe });
    });
    const s = fullSpan(B, T);
    const out = new Float64Array(rows * C);
    encoder_forward(out, tokens, f64(wte), f64(wpe), s, C);
    const dwte = f64(dwte0);
    const dwpe = f64(dwpe0);
    encoder_backward(dwte, dwpe, f64(dout), tokens, s, C);
    expectParity(head(got.out, rows * C), out, 'encoder_forward out');
    expectParity(head(got.dwte, VOCAB * C), dwte, 'encoder_backward dwte');
    expectParity(head(got.dwpe, T * C), dwpe, 'encoder_backward dwpe');
  });

  it('layernorm_forward and layernorm_backward', async () => {
    const inp = floats(ROWS * C, 10, 2);
    for (let i = 0; i < C; i++) inp[3 * C + i] += 5; // a row far from zero mean
    const weight = floats(C, 11);
    const bias = floats(C, 12);
    const dout = floats(ROWS * C, 13);
    const dinp0 = floats(ROWS * C, 14, 0.1);
    const dw0 = floats(C, 15, 0.1);
    const db0 = floats(C, 16, 0.1);
    const s = fullSpan(1, ROWS);
    const out = new Float64Array(ROWS * C);
    const mean = new Float64Array(ROWS);
    const rstd = new Float64Array(ROWS);
    layernorm_forward(out, mean, rstd, f64(inp), f64(weight), f64(bias), s, C);
    const fwd = await twice({ inp, weight, bias, out: ROWS * C, mean: ROWS, rstd: ROWS }, ['out', 'mean', 'rstd'], (sub, b) => {
      ops.layernorm_forward(sub, { rows: ROWS, C, eps: LAYERNORM_EPS, inp: b.inp, weight: b.weight, bias: b.bias, out: b.out, mean: b.mean, rstd: b.rstd });
    });
    expectParity(head(fwd.out, ROWS * C), out, 'layernorm_forward out');
    expectParity(head(fwd.mean, ROWS), mean, 'layernorm_forward mean');
    expectParity(head(fwd.rstd, ROWS), rstd, 'layernorm_forward rstd');
    // The backward reads the CPU's statistics, rounded to f32 as the GPU keeps them.
    const mean32 = Float32Array.from(mean);
    const rstd32 = Float32Array.from(rstd);
    const got = await twice(
      { dout, inp, weight, mean: mean32, rstd: rstd32, dinp: dinp0, dweight: dw0, dbias: db0 },
      ['dinp', 'dweight', 'dbias'],
      (sub, b) => ops.layernorm_backward(sub, { rows: ROWS, C, dout: b.dout, inp: b.inp, weight: b.weight, mean: b.mean, rstd: b.rstd, dinp: b.dinp, dweight: b.dweight, dbias: b.dbias }),
    );
    const dinp = f64(dinp0);
    const dweight = f64(dw0);
    const dbias = f64(db0);
    layernorm_backward(dinp, dweight, dbias, f64(dout), f64(inp), f64(weight), f64(mean32), f64(rstd32), s, C);
    expectParity(head(got.dinp, ROWS * C), dinp, 'layernorm_backward dinp');
    expectParity(head(got.dweight, C), dweight, 'layernorm_backward dweight');
    expectParity(head(got.dbias, C), dbias, 'layernorm_backward dbias');
  });

  const matmulBits = new Map<string, Record<string, Float32Array>>();
  it.each([
    ['with bias and residual', true, true, 'shared'],
    ['without bias', false, false, 'shared'],
    ['with bias and residual', true, true, 'direct'],
    ['without bias', false, false, 'direct'],
  ] as const)('matmul_forward and its backward kernels (dX; dW and db) %s, %s operands', async (_, withBias, withResidual, variant) => {
    const mm = variant === 'shared' ? ops : direct;
    const inp = floats(ROWS * C, 20);
    const weight = floats(OC * C, 21, 0.5);
    const bias = floats(OC, 22);
    const residual = floats(ROWS * OC, 23);
    const dout = floats(ROWS * OC, 24);
    const dinp0 = floats(ROWS * C, 25, 0.1);
    const dw0 = floats(OC * C, 26, 0.1);
    const db0 = floats(OC, 27, 0.1);
    const got = await twice(
      { inp, weight, bias, residual, out: ROWS * OC, dout, dinp: dinp0, dweight: dw0, dbias: db0 },
      ['out', 'dinp', 'dweight', 'dbias'],
      (sub, b) => {
        mm.matmul_forward(sub, { rows: ROWS, C, OC, inp: b.inp, weight: b.weight, bias: withBias ? b.bias : null, residual: withResidual ? b.residual : null, out: b.out });
        mm.matmul_backward_input(sub, { rows: ROWS, C, OC, dout: b.dout, weight: b.weight, dinp: b.dinp });
        mm.matmul_backward_weight(sub, { rows: ROWS, C, OC, dout: b.dout, inp: b.inp, dweight: b.dweight, dbias: withBias ? b.dbias : null });
      },
    );
    // Both ways of reading the operands make the same sums in the same order: the same bits.
    const other = matmulBits.get(_);
    if (other) for (const name of Object.keys(got)) expect(Buffer.from(got[name].buffer).equals(Buffer.from(other[name].buffer)), `${name}: shared and direct operands agree bit for bit`).toBe(true);
    matmulBits.set(_, got);
    const s = fullSpan(1, ROWS);
    const out = new Float64Array(ROWS * OC);
    matmul_forward(out, f64(inp), f64(weight), withBias ? f64(bias) : null, s, C, OC);
    if (withResidual) for (let i = 0; i < out.length; i++) out[i] += residual[i];
    const dinp = f64(dinp0);
    const dweight = f64(dw0);
    const dbias = f64(db0);
    matmul_backward(dinp, dweight, withBias ? dbias : null, f64(dout), f64(inp), f64(weight), s, C, OC);
    expectParity(head(got.out, ROWS * OC), out, `matmul_forward out (${_}, ${variant})`);
    expectParity(head(got.dinp, ROWS * C), dinp, `matmul_backward_input dinp (${_}, ${variant})`);
    expectParity(head(got.dweight, OC * C), dweight, `matmul_backward_weight dweight (${_}, ${variant})`);
    // Without a bias the kernel leaves dbias alone.
    expectParity(head(got.dbias, OC), withBias ? dbias : db0, `matmul_backward_weight dbias (${_}, ${variant})`);
  });

  it('attention_forward and attention_backward, fused per (sequence, head)', async () => {
    const rows = B * T;
    const qkv = floats(rows * 3 * C, 30, 1.5);
    const dout = floats(rows * C, 31);
    const dinp0 = floats(rows * 3 * C, 32, 0.1);
    const s = fullSpan(B, T);
    const out = new Float64Array(rows * C);
    const att = new Float64Array(B * NH * T * T);
    attention_forward(out, att, f64(qkv), s, NH, C);
    const fwd = await twice({ qkv, out: rows * C, att: B * NH * T * T }, ['out', 'att'], (sub, b) => {
      ops.attention_forward(sub, { B, T, NH, C, inp: b.qkv, out: b.out, att: b.att });
    });
    expectParity(head(fwd.out, rows * C), out, 'attention_forward out');
    expectParity(head(fwd.att, att.length), att, 'attention_forward att');
    const att32 = Float32Array.from(att);
    const got = await twice({ qkv, att: att32, dout, dinp: dinp0 }, ['dinp'], (sub, b) => {
      ops.attention_backward(sub, { B, T, NH, C, inp: b.qkv, att: b.att, dout: b.dout, dinp: b.dinp });
    });
    const dinp = f64(dinp0);
    attention_backward(dinp, f64(dout), f64(qkv), f64(att32), s, NH, C);
    expectParity(head(got.dinp, rows * 3 * C), dinp, 'attention_backward dinp');
  });

  it('gelu_forward and gelu_backward (tanh form), including large |x|', async () => {
    const n = ROWS * OC;
    const inp = floats(n, 40, 4);
    inp[0] = 30;
    inp[1] = -30;
    inp[2] = 0;
    const dout = floats(n, 41);
    const dinp0 = floats(n, 42, 0.1);
    const got = await twice({ inp, out: n, dout, dinp: dinp0 }, ['out', 'dinp'], (sub, b) => {
      ops.gelu_forward(sub, { count: n, inp: b.inp, out: b.out });
      ops.gelu_backward(sub, { count: n, inp: b.inp, dout: b.dout, dinp: b.dinp });
    });
    const s = fullSpan(1, ROWS);
    const out = new Float64Array(n);
    gelu_forward(out, f64(inp), s, OC);
    const dinp = f64(dinp0);
    gelu_backward(dinp, f64(inp), f64(dout), s, OC);
    expectParity(head(got.out, n), out, 'gelu_forward out');
    expectParity(head(got.dinp, n), dinp, 'gelu_backward dinp');
  });

  it('logsoftmax_forward and logsoftmax_backward (output head, temperature 0.7)', async () => {
    const temperature = 0.7;
    const logits = floats(ROWS * VOCAB, 50, 4);
    const r = random(51);
    const targets = Int32Array.from({ length: ROWS }, (_, i) => (i % 5 === 0 ? -1 : Math.floor(r() * VOCAB)));
    const dlogprob = floats(ROWS, 52);
    dlogprob[3] = 0;
    const dlogits0 = floats(ROWS * VOCAB, 53, 0.1);
    const s = fullSpan(1, ROWS);
    const probs = new Float64Array(ROWS * VOCAB);
    const logZ = new Float64Array(ROWS);
    softmax_forward(probs, logZ, f64(logits), s, VOCAB, temperature);
    const fwd = await twice({ logits, probs: ROWS * VOCAB, logZ: ROWS }, ['probs', 'logZ'], (sub, b) => {
      ops.logsoftmax_forward(sub, { rows: ROWS, vocab: VOCAB, temperature, logits: b.logits, probs: b.probs, logZ: b.logZ });
    });
    expectParity(head(fwd.probs, probs.length), probs, 'logsoftmax_forward probs');
    expectParity(head(fwd.logZ, ROWS), logZ, 'logsoftmax_forward logZ');
    const probs32 = Float32Array.from(probs);
    const got = await twice({ dlogprob, targets, probs: probs32, dlogits: dlogits0 }, ['dlogits'], (sub, b) => {
      ops.logsoftmax_backward(sub, { rows: ROWS, vocab: VOCAB, temperature, dlogprob: b.dlogprob, targets: b.targets, probs: b.probs, dlogits: b.dlogits });
    });
    const dlogits = f64(dlogits0);
    logsoftmax_backward(dlogits, dlogprob, targets, f64(probs32), s, VOCAB, temperature);
    expectParity(head(got.dlogits, dlogits.length), dlogits, 'logsoftmax_backward dlogits');
  });

  it('rope_forward and rope_backward (head size 6: rotary needs an even one)', async () => {
    const rc = 24;
    const rhs = 6;
    const rows = B * T;
    const tables = ropeTables(T, rhs);
    const inp = floats(rows * 3 * rc, 60);
    const dout = floats(rows * 3 * rc, 61);
    const dinp0 = floats(rows * 3 * rc, 62, 0.1);
    const cos = Float32Array.from(tables.cos);
    const sin = Float32Array.from(tables.sin);
    const got = await twice({ inp, cos, sin, out: rows * 3 * rc, dout, dinp: dinp0 }, ['out', 'dinp'], (sub, b) => {
      ops.rope_forward(sub, { rows, T, C: rc, headSize: rhs, inp: b.inp, cos: b.cos, sin: b.sin, out: b.out });
      ops.rope_backward(sub, { rows, T, C: rc, headSize: rhs, dout: b.dout, cos: b.cos, sin: b.sin, dinp: b.dinp });
    });
    const s = fullSpan(B, T);
    const out = new Float64Array(rows * 3 * rc);
    rope_forward(out, f64(inp), tables, s, rc / rhs, rc);
    const dinp = f64(dinp0);
    rope_backward(dinp, f64(dout), tables, s, rc / rhs, rc);
    expectParity(head(got.out, out.length), out, 'rope_forward out');
    expectParity(head(got.dinp, dinp.length), dinp, 'rope_backward dinp');
  });
});

/**
 * The kernels composed into one forward and backward (src/gpu/transformer/pass.ts)
 * against model.ts's forward and backward on the same float32 parameters:
 * probabilities at scored positions and every parameter tensor's gradient,
 * within 1e-4 of the tensor's largest entry; two passes give the same bits.
 * The last case is the default size (2 layers, d_model 32, 4 heads) at batch 64,
 * whose dispatches per forward + backward it counts.
 */
describe.skipIf(!gpu)('transformer forward + backward composed from the kernels', () => {
  it.each([
    ['odd shape, learned positions, shared matmul tiles', { vocabIn: 11, vocabOut: 6, context: 13, layers: 2, dModel: 20, heads: 4, dMlp: 61 }, 3, 49, 'shared'],
    ['odd shape, rotary positions, shared matmul tiles', { vocabIn: 9, vocabOut: 5, context: 7, layers: 1, dModel: 24, heads: 4, dMlp: 37, positions: 'rotary' as const }, 5, 31, 'shared'],
    // Direct matmul operands: several times faster on SwiftShader, which runs CI.
    ['2 layers × d_model 32 at batch 64, direct matmul operands', { vocabIn: 16, vocabOut: 12, context: 12, layers: 2, dModel: 32, heads: 4 }, 64, 49, 'direct'],
  ] as const)('%s', async (name, input, B, dispatches, matmul) => {
    const cfg = transformerConfig(input);
    const runtime = await GpuRuntime.create(gpu!);
    const ops = await TransformerKernels.create(runtime, await loadShaderSources(), { context: cfg.context, headSize: cfg.dModel / cfg.heads, vocab: cfg.vocabOut, matmul });
    const params32 = Float32Array.from(randomModel(input, 5).params);
    const model = createTransformer(cfg, Float64Array.from(params32));
    const seq = randomBatch(cfg, B, 6);
    const T = cfg.context;
    const r = random(7);
    const dLogProb = Float32Array.from(seq.targets, (a) => (a >= 0 ? 2 * r() - 1 : 0));
    const pass = new TransformerPass(ops, cfg, B, T);
    pass.setParams(params32);
    pass.setBatch({ tokens: seq.tokens, targets: seq.targets, dLogProb });
    const runs = [];
    for (let run = 0; run < 2; run++) {
      const sub = new Submission();
      const before = ops.dispatches;
      pass.encode(sub, 0.8);
      if (run === 0) {
        console.log(`${name}: ${ops.dispatches - before} dispatches per forward + backward (B ${B}, T ${T})`);
        expect(ops.dispatches - before).toBe(dispatches);
      }
      const read = pass.read(sub);
      const started = performance.now();
      await submitOnce(runtime.device, sub);
      runs.push(await read);
      if (run === 1) console.log(`${name}: ${(performance.now() - started).toFixed(0)} ms per forward + backward on this adapter`);
    }
    expect(runtime.gd.firstError()).toBeNull();
    expect(Buffer.from(runs[1].grad.buffer).equals(Buffer.from(runs[0].grad.buffer)), 'two passes give the same gradient bits').toBe(true);

    const acts = createActivations(model, B, T);
    forward(model, acts, seq, 0.8);
    const grads = createGradients(model);
    backward(model, acts, createActivationGrads(model, B, T), seq, grads, { dLogProb });
    const V = cfg.vocabOut;
    const scored = [...seq.targets.keys()].filter((bt) => seq.targets[bt] >= 0);
    const pick = (x: ArrayLike<number>) => scored.flatMap((bt) => Array.from({ length: V }, (_, j) => x[bt * V + j]));
    expectParity(Float32Array.from(pick(runs[0].probs)), pick(acts.probs), `pass ${name}: probs`);
    for (const t of model.layout.list) {
      if (t.size === 0) continue;
      expectParity(runs[0].grad.subarray(t.offset, t.offset + t.size), grads.flat.subarray(t.offset, t.offset + t.size), `pass ${name}: d${t.name}`);
    }
    pass.destroy();
    ops.destroy();
    runtime.gd.device.destroy();
  });
});
