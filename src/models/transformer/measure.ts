/**
 * A measurement, not a test: how fast the CPU reference trains and how
 * quickly held-out greedy accuracy rises under next-token prediction on a
 * built-in task. Prints one JSON line per evaluation and a summary.
 *
 *   npx tsx src/models/transformer/measure.ts [task=reverse] [d_model=32] [max_steps=600] [seed=0] [budget_s=150] [positions=learned] [split=random]
 *
 * Prompts and answers are read through the task API (TaskSource.pool). Split
 * "random": 70/30 train/held-out, as the feasibility sketch; "longest": the
 * longest prompts are held out (train short, test long: length generalisation).
 */
import { permutation, Stream } from '../../engine/prng.ts';
import { findTaskSource } from '../../tasks/index.ts';
import { transformerConfig, type Positions } from './config.ts';
import { createTransformer, packSequences } from './model.ts';
import { initParams } from './params.ts';
import { adamState, adamStep, contextOf, crossEntropyForwardBackward, pretrain, PRETRAIN_ADAM, workspace, type Example } from './pretrain.ts';
import { decode } from './sampling.ts';
import { TransformerVocabulary } from './vocab.ts';

const [taskId = 'reverse', dArg = '32', stepsArg = '600', seedArg = '0', budgetArg = '150', positions = 'learned', split = 'random'] = process.argv.slice(2);
const dModel = Number(dArg);
const maxSteps = Number(stepsArg);
const seed = Number(seedArg);
const budgetMs = Number(budgetArg) * 1000;
const BATCH = 64;
const EVAL_EVERY = 25;

const src = findTaskSource(taskId);
if (!src) throw new Error(`unknown task ${taskId}`);
const vocab = new TransformerVocabulary(src.alphabet, src.pool.map((i) => i.prompt));
const all: (Example & { reference: string })[] = src.pool.map((item) => ({
  prompt: vocab.encodePrompt(item.prompt),
  answer: vocab.encodeAnswer(String(item.reference), src.maxLen),
  reference: String(item.reference),
}));
const order = Array.from(permutation(all.length, seed, Stream.data, 99));
const longest = all.reduce((m, e) => Math.max(m, e.prompt.length), 0);
const isHeldOut =
  split === 'longest'
    ? (i: number) => all[i].prompt.length === longest
    : (i: number) => order.indexOf(i) >= Math.round(0.7 * all.length);
const train = order.filter((i) => !isHeldOut(i)).map((i) => all[i]);
const heldOut = order.filter(isHeldOut).map((i) => all[i]);

const context = Math.max(contextOf(all), ...all.map((e) => e.prompt.length + src.maxLen - 1));
const cfg = transformerConfig({ vocabIn: vocab.vocabIn, vocabOut: vocab.vocabOut, context, dModel, positions: positions as Positions });
const model = createTransformer(cfg, initParams(cfg, seed));
const T = contextOf(all);
const ws = workspace(model, BATCH, T);

function accuracy(rows: typeof all, greedy: boolean): number {
  const out = decode(model, rows.map((r) => r.prompt), { maxLen: src!.maxLen, greedy, seed, stream: Stream.measure, step: 0 });
  let ok = 0;
  rows.forEach((r, n) => {
    const toks = out.tokens.subarray(n * out.maxLen, n * out.maxLen + out.lengths[n]);
    if (toks[toks.length - 1] === 0 && vocab.decodeAnswer(toks) === r.reference) ok++;
  });
  return ok / rows.length;
}

console.log(JSON.stringify({ task: taskId, split, pool: all.length, train: train.length, heldOut: heldOut.length, vocabIn: cfg.vocabIn, vocabOut: cfg.vocabOut, T, params: model.layout.count, cfg }));

// Cost of one forward+backward at batch 64 (the model's own; Adam and batching excluded), after a warm-up.
const probe = packSequences(T, Array.from({ length: BATCH }, (_, b) => train[b % train.length]));
for (let i = 0; i < 3; i++) crossEntropyForwardBackward(model, ws, probe);
let t0 = performance.now();
const REPS = 10;
for (let i = 0; i < REPS; i++) crossEntropyForwardBackward(model, ws, probe);
const fwdBwdMs = (performance.now() - t0) / REPS;
const fakeGrad = ws.grads.flat.slice();
t0 = performance.now();
for (let i = 0; i < REPS; i++) adamStep(new Float32Array(model.layout.count), fakeGrad, adamState(model.layout.count), PRETRAIN_ADAM, 0);
const adamMs = (performance.now() - t0) / REPS;
// Sampling: 16 prompts × 16 generations at T = 1 (the RFT batch), incremental decoding.
const rftPrompts = Array.from({ length: 256 }, (_, i) => train[Math.floor(i / 16) % train.length].prompt);
t0 = performance.now();
decode(model, rftPrompts, { maxLen: src.maxLen, seed, stream: Stream.train, step: 1 });
const sample256Ms = performance.now() - t0;
const tokensPerBatch = probe.lengths.reduce((a, n) => a + n, 0);
console.log(JSON.stringify({ fwdBwdMs: +fwdBwdMs.toFixed(1), fwdBwdStepsPerS: +(1000 / fwdBwdMs).toFixed(2), tokensPerS: Math.round((tokensPerBatch * 1000) / fwdBwdMs), adamMs: +adamMs.toFixed(2), sample256Ms: +sample256Ms.toFixed(1) }));

const started = performance.now();
let firstAbove: Record<string, number> = {};
pretrain(model, train, {
  steps: maxSteps,
  batchSize: BATCH,
  seed,
  warmup: 50,
  decay: true,
  after(s, loss) {
    const elapsed = performance.now() - started;
    const last = s === maxSteps || elapsed > budgetMs;
    if (s % EVAL_EVERY !== 0 && !last) return false;
    const heldGreedy = accuracy(heldOut, true);
    for (const th of [0.5, 0.7, 0.9, 0.95]) if (heldGreedy >= th && firstAbove[th] === undefined) firstAbove = { ...firstAbove, [th]: s };
    console.log(JSON.stringify({ step: s, loss: +loss.toFixed(4), train_greedy: +accuracy(train, true).toFixed(3), heldout_greedy: +heldGreedy.toFixed(3), heldout_sampled: +accuracy(heldOut, false).toFixed(3), seconds: +(elapsed / 1000).toFixed(1) }));
    return last;
  },
});
console.log(JSON.stringify({ firstStepHeldOutGreedyAtLeast: firstAbove, trainSeconds: +((performance.now() - started) / 1000).toFixed(1) }));
