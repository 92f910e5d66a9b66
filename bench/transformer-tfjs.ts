/**
 * The benchmark's tfjs baseline: the same transformer (pre-LayerNorm, learned
 * positions, causal multi-head attention, tanh-GELU MLP, final LayerNorm,
 * untied head over the answer tokens; the same initial parameters) and the
 * same step, written as a tfjs user would: @tensorflow/tfjs-core with
 * @tensorflow/tfjs-backend-webgpu on Dawn's navigator.gpu, autograd
 * (optimizer.minimize) and tf.train.adam.
 * - RFT: per answer position one forward over the contexts so far and
 *   tf.multinomial at each answer's position (one readback per position,
 *   which the next context needs), exact-match grading in JS, group-normalised
 *   advantages, loss −Σ A·log π(token) / tokens (no reference forward: our
 *   step also runs the reference's forward for the KL statistics);
 *   A tfjs user has no KV cache short of writing one: this is the plain loop.
 * - SFT: cross-entropy over a batch of 64 demonstrations.
 */
import { register } from 'node:module';
import { loadConfig } from '../src/engine/config.ts';
import { initialState, resolveTask } from '../src/engine/setup.ts';
import { Vocabulary } from '../src/engine/task.ts';
import { createGrader } from '../src/graders/index.ts';
import { LAYERNORM_EPS } from '../src/models/transformer/ops.ts';
import { paramLayout } from '../src/models/transformer/params.ts';
import { transformerConfigOf } from '../src/models/transformer/shape.ts';
import { benchConfig, type Size } from './transformer.ts';

type TF = typeof import('@tensorflow/tfjs-core');

const TFJS_RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (!(context.parentURL ?? '').includes('/@tensorflow/') || !specifier.startsWith('.')) throw e;
    for (const tail of ['.js', '/index.js']) {
      try {
        return await next(specifier + tail, context);
      } catch {}
    }
    throw e;
  }
}`;
let tfReady: Promise<TF> | null = null;

async function tfjs(gpu: GPU): Promise<TF> {
  tfReady ??= (async () => {
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (!nav?.gpu) Object.defineProperty(globalThis, 'navigator', { value: { ...(nav ?? {}), gpu, userAgent: 'node' }, configurable: true });
    const tf = await import('@tensorflow/tfjs-core');
    // tfjs-core alone registers no gradients (the tfjs union package imports
    // them). Its register_all_gradients is in the ESM build, whose imports
    // name directories and leave out ".js": Node's ESM loader refuses them, so
    // a resolve hook (for imports inside @tensorflow only) retries with
    // ".js" and "/index.js". The registries and the engine are global, so
    // gradients registered by the ESM copy serve the CJS one tfjs-backend-webgpu uses.
    register('data:text/javascript,' + encodeURIComponent(TFJS_RESOLVE_HOOK));
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu did not initialise');
    await tf.ready();
    return tf;
  })();
  return tfReady;
}

export async function runTfjs(gpu: GPU, objective: 'rft' | 'sft', size: Size, steps: number): Promise<{ stepsPerSecond: number; note: string }> {
  const tf = await tfjs(gpu);
  const config = loadConfig(benchConfig(objective, size));
  const task = resolveTask(config);
  const state = initialState(config, task);
  const shape = state.shape;
  const net = shape.net!;
  const cfg = transformerConfigOf(shape);
  const layout = paramLayout(cfg);
  const { dModel: C, dMlp: M, heads: NH, vocabOut: V, layers } = cfg;
  const hs = C / NH;
  const L = shape.maxLen;
  const flat = state.logits;
  const dims: Record<string, number[]> = {
    wte: [cfg.vocabIn, C], wpe: [cfg.context, C], ln1w: [C], ln1b: [C], qkvw: [3 * C, C], qkvb: [3 * C], attprojw: [C, C], attprojb: [C],
    ln2w: [C], ln2b: [C], fcw: [M, C], fcb: [M], fcprojw: [C, M], fcprojb: [C], lnfw: [C], lnfb: [C], lmheadw: [V, C],
  };
  const vars: Record<string, import('@tensorflow/tfjs-core').Variable[]> = {};
  for (const t of layout.list) {
    if (t.perLayer === 0) continue;
    vars[t.name] = Array.from({ length: t.layered ? layers : 1 }, (_, l) => tf.variable(tf.tensor(flat.slice(t.offset + l * t.perLayer, t.offset + (l + 1) * t.perLayer), dims[t.name])));
  }
  const w = (name: string, l = 0) => vars[name][l];
  const ln = (x: import('@tensorflow/tfjs-core').Tensor, g: import('@tensorflow/tfjs-core').Tensor, b: import('@tensorflow/tfjs-core').Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LAYERNORM_EPS))), g), b);
  };
  const linear = (x: import('@tensorflow/tfjs-core').Tensor, weight: import('@tensorflow/tfjs-core').Tensor, bias: import('@tensorflow/tfjs-core').Tensor | null) => {
    const [B, T, inC] = x.shape as number[];
    const outC = weight.shape[0];
    let y = tf.matMul(tf.reshape(x, [B * T, inC]), weight, false, true);
    if (bias) y = tf.add(y, bias);
    return tf.reshape(y, [B, T, outC]);
  };
  const gelu = (x: import('@tensorflow/tfjs-core').Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));
  const masks = new Map<number, import('@tensorflow/tfjs-core').Tensor>();
  const maskOf = (T: number) => {
    let m = masks.get(T);
    if (!m) {
      const data = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = -1e9;
      m = tf.keep(tf.tensor(data, [T, T]));
      masks.set(T, m);
    }
    return m;
  };
  /** logits [B][T][V] of int32 tokens [B][T]. */
  const forward = (tokens: import('@tensorflow/tfjs-core').Tensor2D) => {
    const [B, T] = tokens.shape;
    let x = tf.add(tf.gather(w('wte'), tokens), tf.slice(w('wpe'), [0, 0], [T, C]));
    for (let l = 0; l < layers; l++) {
      const qkv = linear(ln(x, w('ln1w', l), w('ln1b', l)), w('qkvw', l), w('qkvb', l));
      const [q, k, v] = tf.split(qkv, 3, 2).map((t) => tf.transpose(tf.reshape(t, [B, T, NH, hs]), [0, 2, 1, 3]));
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), maskOf(T)));
      const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B, T, C]);
      x = tf.add(x, linear(y, w('attprojw', l), w('attprojb', l)));
      x = tf.add(x, linear(gelu(linear(ln(x, w('ln2w', l), w('ln2b', l)), w('fcw', l), w('fcb', l))), w('fcprojw', l), w('fcprojb', l)));
    }
    return linear(ln(x, w('lnfw'), w('lnfb')), w('lmheadw'), null);
  };
  const optimizer = tf.train.adam(config.optimizer.learning_rate);
  const prompts = net.prompts;
  const longest = Math.max(...prompts.map((p) => p.length));
  const S = longest + L - 1;
  /** One weighted log-likelihood step: contexts [N][S], targets, weights per position. */
  const train = (ctx: Int32Array, targets: Int32Array, weights: Float32Array, N: number) => {
    const tok = tf.tensor2d(ctx, [N, S], 'int32');
    const oneHot = tf.oneHot(tf.tensor1d(targets, 'int32'), V);
    const wt = tf.tensor1d(weights);
    optimizer.minimize(() => {
      const logp = tf.logSoftmax(tf.reshape(forward(tok), [N * S, V]));
      return tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(logp, oneHot), 1), wt))) as import('@tensorflow/tfjs-core').Scalar;
    });
    tf.dispose([tok, oneHot, wt]);
  };
  const pack = (rows: { p: number; answer: ArrayLike<number> }[], weight: (n: number) => number) => {
    const N = rows.length;
    const ctx = new Int32Array(N * S);
    const targets = new Int32Array(N * S).fill(-1);
    const weights = new Float32Array(N * S);
    rows.forEach(({ p, answer }, n) => {
      const prompt = prompts[p];
      ctx.set(prompt, n * S);
      for (let k = 0; k < answer.length - 1; k++) ctx[n * S + prompt.length + k] = answer[k];
      for (let k = 0; k < answer.length; k++) {
        targets[n * S + prompt.length - 1 + k] = answer[k];
        weights[n * S + prompt.length - 1 + k] = weight(n);
      }
    });
    return { ctx, targets, weights };
  };
  const vocab = new Vocabulary(task.alphabet);
  const grader = createGrader(task.grader);
  const B = config.batch_prompts;
  const G = config.num_generations;
  const step = async (s: number) => {
    if (objective === 'sft') {
      const rows = Array.from({ length: B }, (_, i) => {
        const d = task.demos[(s * B + i) % task.demos.length];
        const answer = new Int32Array(L);
        const len = vocab.encodeInto(d.answer, L, answer, 0);
        return { p: d.prompt, answer: answer.subarray(0, len) };
      });
      const tokens = rows.reduce((a, r) => a + r.answer.length, 0);
      const { ctx, targets, weights } = pack(rows, () => 1 / tokens);
      train(ctx, targets, weights, rows.length);
      return;
    }
    const N = B * G;
    const promptOf = Int32Array.from({ length: N }, (_, n) => ((s - 1) * B + Math.floor(n / G)) % task.items.length);
    const ctx = new Int32Array(N * S);
    const answers = Array.from({ length: N }, () => [] as number[]);
    for (let n = 0; n < N; n++) ctx.set(prompts[promptOf[n]], n * S);
    const done = new Uint8Array(N);
    for (let t = 0; t < L; t++) {
      const width = longest + t;
      const idx = Int32Array.from({ length: N }, (_, n) => n * width + prompts[promptOf[n]].length - 1 + t);
      const drawn = tf.tidy(() => {
        const sub = new Int32Array(N * width);
        for (let n = 0; n < N; n++) sub.set(ctx.subarray(n * S, n * S + width), n * width);
        const logits = tf.gather(tf.reshape(forward(tf.tensor2d(sub, [N, width], 'int32')), [N * width, V]), tf.tensor1d(idx, 'int32'));
        return tf.multinomial(tf.div(logits, config.temperature) as import('@tensorflow/tfjs-core').Tensor2D, 1);
      });
      const tok = (await drawn.data()) as Int32Array;
      drawn.dispose();
      for (let n = 0; n < N; n++) {
        if (done[n]) continue;
        answers[n].push(tok[n]);
        const pos = prompts[promptOf[n]].length + t;
        if (pos < S) ctx[n * S + pos] = tok[n];
        if (tok[n] === 0) done[n] = 1;
      }
    }
    const samples = answers.map((a) => ({ output_text: vocab.decode(Int32Array.from(a), 0, a.length) }));
    const rewards = (await grader.grade(samples, Array.from(promptOf, (p) => task.items[p]))).scores;
    const adv = new Float32Array(N);
    for (let b = 0; b < B; b++) {
      let mean = 0;
      for (let g = 0; g < G; g++) mean += rewards[b * G + g] / G;
      let v = 0;
      for (let g = 0; g < G; g++) v += (rewards[b * G + g] - mean) ** 2 / G;
      for (let g = 0; g < G; g++) adv[b * G + g] = (rewards[b * G + g] - mean) / (Math.sqrt(v) + 1e-4);
    }
    const tokens = answers.reduce((a, r) => a + r.length, 0);
    const { ctx: c2, targets, weights } = pack(answers.map((a, n) => ({ p: promptOf[n], answer: a })), (n) => adv[n] / tokens);
    train(c2, targets, weights, N);
  };
  try {
    await step(1);
    await step(2);
    await tf.tensor1d([0]).data();
    const t0 = performance.now();
    for (let s = 3; s < 3 + steps; s++) await step(s);
    // Wait for the queued training work (a readback of a parameter).
    await w('lnfb').data();
    const seconds = (performance.now() - t0) / 1000;
    return { stepsPerSecond: steps / seconds, note: objective === 'rft' ? `${B}×${G} answers, ${L} readbacks/step (sampling)` : `batch ${B}` };
  } finally {
    for (const list of Object.values(vars)) for (const v of list) v.dispose();
    for (const m of masks.values()) m.dispose();
    optimizer.dispose();
  }
}
