/**
 * The base model: what the three lanes start from, and the frozen reference
 * of DPO and the KL term. As a real LLM's base, it is pretrained by next-token
 * prediction before any fine-tuning, here on the task's own corpus: correct
 * answers to prompts that are neither trained on nor held out
 * (Task.pretrainCorpus). It stops early, once greedy accuracy on a slice of
 * that corpus it never trains on (the check prompts) reaches
 * policy.base_accuracy (0.75 by default; its held-out greedy accuracy lands near 0.7): good enough that RFT's groups often
 * hold an answer that scores (below ~0.5 RFT stalls, ../shared/neural-feasibility.md),
 * poor enough that fine-tuning shows. Deterministic from the seed.
 *
 * Pretraining runs on the CPU reference, whatever backend then trains, so
 * every backend starts from the same bits. The result is cached per
 * (task, network, seed, stopping rule): Reset and the other two lanes reuse it.
 */
import type { InitOptions, PolicyShape } from '../../engine/policies/types.ts';
import { permutation, Stream } from '../../engine/prng.ts';
import type { Task } from '../../engine/task.ts';
import { createTransformer } from './model.ts';
import { initParams } from './params.ts';
import { pretrain, type Example } from './pretrain.ts';
import { decode } from './sampling.ts';
import { taskVocabulary, transformerConfigOf } from './shape.ts';

export const BASE_DEFAULTS = { accuracy: 0.75, maxSteps: 2000, batchSize: 64, checkEvery: 5, checkPrompts: 256 };

export interface BaseModel {
  params: Float32Array;
  /** Pretraining steps taken. */
  steps: number;
  /** Greedy accuracy on the check prompts where it stopped. */
  checkAccuracy: number;
  /** Whether it reached policy.base_accuracy (false: it stopped at base_max_steps). */
  reached: boolean;
  /** The cache key: what the base depends on. */
  key: string;
}

export interface BaseProgress {
  step: number;
  maxSteps: number;
  checkAccuracy: number | null;
}

const cache = new Map<string, BaseModel>();
const CACHE_SIZE = 4;

/** What a base depends on, as a string: equal keys give bit-identical bases. */
export function baseKey(shape: PolicyShape, task: Task, opts: InitOptions): string {
  const { prompts: _p, ...net } = shape.net ?? ({} as NonNullable<PolicyShape['net']>);
  const stop = opts.base ?? BASE_DEFAULTS;
  return JSON.stringify({ task: task.id, alphabet: task.alphabet, maxLen: shape.maxLen, vocab: shape.vocab, net, corpus: corpusFingerprint(task), seed: opts.seed, accuracy: stop.accuracy, maxSteps: stop.maxSteps });
}

/**
 * What the base is pretrained on, as [size, FNV-1a hash] of its prompts and answers. A saved base
 * carries it, so a run whose corpus differs (another task, split or pool: its held-out prompts may
 * be in the base's corpus) refuses it.
 */
export function corpusFingerprint(task: Task): [number, number] {
  const corpus = corpusOf(task);
  let h = 0x811c9dc5;
  for (const e of corpus) for (const ch of e.prompt + '\u0000' + e.answer + '\u0001') h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return [corpus.length, h];
}

/** The corpus the base learns from: the task's pretraining corpus, or (custom tasks have none) its demonstrations' prompts and answers. */
function corpusOf(task: Task): { prompt: string; answer: string }[] {
  if (task.pretrainCorpus && task.pretrainCorpus.length > 0) return task.pretrainCorpus;
  return task.demos.map((d) => ({ prompt: task.items[d.prompt].prompt, answer: d.answer }));
}

/** What the base learns from, in words (the CLI's note): the spare prompts, or the demonstrations when none are left. */
export function baseCorpusSource(task: Task): string {
  const n = (x: number) => x.toLocaleString('en-US');
  if (task.pretrainCorpus && task.pretrainCorpus.length > 0) return `${n(task.pretrainCorpus.length)} prompts of the task that are neither trained on nor held out`;
  const why = task.pretrainCorpus ? 'no prompts are left over for a corpus of its own' : 'a task from files has no prompts of its own for pretraining';
  return `the task's ${n(task.demos.length)} demonstrations (${why}, so it learns from the train prompts' demonstrations, errors included)`;
}

/** A base given from outside (the CLI's --base FILE, the page's cache): used instead of pretraining when its key matches. */
export function rememberBase(base: BaseModel): void {
  cache.delete(base.key);
  cache.set(base.key, base);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
}

export function cachedBase(key: string): BaseModel | undefined {
  return cache.get(key);
}

export function pretrainBase(shape: PolicyShape, task: Task, opts: InitOptions, onProgress?: (p: BaseProgress) => void): BaseModel {
  const key = baseKey(shape, task, opts);
  const hit = cache.get(key);
  if (hit) return { ...hit, params: hit.params.slice() };
  const cfg = transformerConfigOf(shape);
  const stop = opts.base ?? BASE_DEFAULTS;
  const vocab = taskVocabulary(task);
  const maxLen = shape.maxLen;
  const all: (Example & { answerText: string })[] = [];
  for (const e of corpusOf(task)) {
    if (Array.from(e.answer).length + 1 > maxLen) continue;
    const prompt = vocab.encodePrompt(e.prompt);
    if (prompt.length + maxLen - 1 > cfg.context) continue;
    all.push({ prompt, answer: vocab.encodeAnswer(e.answer, maxLen), answerText: e.answer });
  }
  if (all.length < 2) throw new Error(`task "${task.id}" has no corpus to pretrain a base model on (policy.init "base"); use policy.init "random"`);
  // The check prompts: a seeded slice of the corpus the base never trains on.
  const order = permutation(all.length, opts.seed, Stream.data, 7);
  const nCheck = Math.min(BASE_DEFAULTS.checkPrompts, Math.max(1, Math.floor(all.length * 0.2)));
  const check = Array.from(order.subarray(0, nCheck), (i) => all[i]);
  const train = Array.from(order.subarray(nCheck), (i) => all[i]);
  const params = initParams(cfg, opts.seed) as Float32Array;
  const model = createTransformer(cfg, params);
  const accuracy = (): number => {
    const out = decode(model, check.map((c) => c.prompt), { maxLen, greedy: true });
    let ok = 0;
    check.forEach((c, n) => {
      const toks = out.tokens.subarray(n * maxLen, n * maxLen + out.lengths[n]);
      if (toks[toks.length - 1] === 0 && vocab.decodeAnswer(toks) === c.answerText) ok++;
    });
    return ok / check.length;
  };
  let checkAccuracy = accuracy();
  let reached = checkAccuracy >= stop.accuracy;
  let steps = 0;
  if (!reached) {
    const result = pretrain(model, train, {
      steps: stop.maxSteps,
      batchSize: BASE_DEFAULTS.batchSize,
      seed: opts.seed,
      warmup: 50,
      after(s) {
        if (s % BASE_DEFAULTS.checkEvery !== 0 && s !== stop.maxSteps) return false;
        checkAccuracy = accuracy();
        onProgress?.({ step: s, maxSteps: stop.maxSteps, checkAccuracy });
        reached = checkAccuracy >= stop.accuracy;
        return reached;
      },
    });
    steps = result.steps;
  }
  const base: BaseModel = { params, steps, checkAccuracy, reached, key };
  rememberBase({ ...base, params: params.slice() });
  return base;
}
