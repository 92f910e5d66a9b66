/**
 * One training lane: a policy learning by one objective. Each step:
 *   sample (the only blocking readback) → grade in JS → update on the backend → metrics.
 * RFT trains on its graded samples; DPO and SFT grade a measurement batch that
 * does not train, so all three report `reward` on one axis.
 */
import { type Backend, LOGIT_LIMIT, type PairBatch, type TokenBatch, type UpdateStats } from './backend.ts';
import { scheduledLearningRate, type Config } from './config.ts';
import { meanOf, stdOf } from './objectives/advantages.ts';
import { Stream, type StreamId } from './prng.ts';
import { type Task, trainPromptCount, Vocabulary } from './task.ts';
import { policyModel } from './policies/index.ts';
import type { Grader, Sample } from '../graders/types.ts';

/** One record per step, with Hugging Face TRL's metric names. */
export type StepMetrics = { step: number } & Record<string, number>;

/** What the page shows of a step besides the numbers. */
export interface StepView {
  promptOf: Int32Array;
  texts: string[];
  scores: Float64Array;
  /** DPO pairs trained on this step (prompt, chosen, rejected). */
  pairs?: { prompt: number; chosen: string; rejected: string }[];
  /** SFT demonstrations trained on this step. */
  demos?: { prompt: number; answer: string }[];
}

export type StepOutcome =
  /** `notes`: what the numbers alone would hide, e.g. an evaluation grader that failed on every sample. */
  | { ok: true; metrics: StepMetrics; view: StepView; notes?: string[] }
  /** The step did not happen; the policy is as it was before it. */
  /** 'cancelled': stopped on request (Pause, Reset) while grading; nothing changed and nothing is wrong. */
  | { ok: false; step: number; reason: 'diverged' | 'grader' | 'cancelled'; message: string };

export interface LaneDeps {
  task: Task;
  backend: Backend;
  grader: Grader;
  evalGraders?: Record<string, Grader>;
}

interface Draw {
  step: number;
  stream: StreamId;
  promptOf: Int32Array;
  temperature: number;
  seed: number;
  key: string;
}

/** Demonstrations or pairs encoded once into token rows. */
interface Encoded {
  promptOf: Int32Array;
  tokens: Int32Array;
  lengths: Int32Array;
  count: number;
}

/** Held-out samples per evaluation: this many in all (about), at most EVAL_MAX_PER_PROMPT per prompt. */
export const EVAL_SAMPLES = 256;
export const EVAL_MAX_PER_PROMPT = 16;

export class Lane {
  /** Steps completed; the next step is `completed + 1`. */
  completed = 0;
  readonly vocab: Vocabulary;
  readonly maxLen: number;
  private config: Config;
  private readonly deps: LaneDeps;
  private demos: Encoded | null = null;
  private pairsChosen: Encoded | null = null;
  private pairsRejected: Encoded | null = null;
  /**
   * The next step's samples, requested right after this step's update so a GPU
   * backend can encode both in one submit. Used only if the next step asks for
   * exactly the same draws (knobs may change in between).
   */
  private prefetched: { key: string; batch: Promise<TokenBatch> } | null = null;

  constructor(config: Config, deps: LaneDeps, maxLen: number) {
    this.config = config;
    this.deps = deps;
    this.vocab = new Vocabulary(deps.task.alphabet);
    this.maxLen = maxLen;
  }

  get objective(): Config['objective'] {
    return this.config.objective;
  }

  get task(): Task {
    return this.deps.task;
  }

  get backend(): Backend {
    return this.deps.backend;
  }

  /** Knobs that do not change the policy's shape apply from the next step on. */
  setConfig(config: Config): void {
    this.config = config;
  }

  setGrader(grader: Grader): void {
    this.deps.grader.dispose?.();
    this.deps.grader = grader;
  }

  /** Stops grading in progress (Pause, Reset must not wait for a slow grader); the step under way then ends as 'cancelled'. */
  cancelGrading(): void {
    this.deps.grader.cancel?.();
    for (const g of Object.values(this.deps.evalGraders ?? {})) g.cancel?.();
  }

  /** Releases the graders' workers (the backend is its owner's to dispose). */
  disposeGraders(): void {
    this.deps.grader.dispose?.();
    for (const g of Object.values(this.deps.evalGraders ?? {})) g.dispose?.();
  }

  setBackend(backend: Backend): void {
    this.prefetched = null;
    this.deps.backend = backend;
  }

  async step(): Promise<StepOutcome> {
    const cfg = this.config;
    const step = this.completed + 1;
    const { backend, grader, task } = this.deps;
    const B = cfg.batch_prompts;
    const G = cfg.num_generations;
    const draw = this.drawFor(step, cfg);
    const samples = await this.takeSamples(draw);
    const texts = this.decodeAll(samples);
    const items = Array.from(samples.promptOf, (p) => task.items[p]);
    const sampleObjs: Sample[] = texts.map((output_text) => ({ output_text }));
    const graded = await grader.grade(sampleObjs, items);
    if (graded.cancelled) return { ok: false, step, reason: 'cancelled', message: 'stopped while grading' };
    if (graded.errors > 0 && graded.errors === samples.count) {
      return { ok: false, step, reason: 'grader', message: `grader failed on every sample of step ${step}: ${graded.firstError ?? 'unknown error'}` };
    }
    const rewards = Float32Array.from(graded.scores);

    const hyper = hyperAt(cfg, step);
    let pending: Promise<UpdateStats>;
    const view: StepView = { promptOf: samples.promptOf, texts, scores: graded.scores };
    if (cfg.objective === 'rft') {
      pending = backend.update(step, { objective: 'rft', samples, rewards }, hyper);
    } else if (cfg.objective === 'dpo') {
      const pairs = cfg.dpo.pairs === 'online' ? this.onlinePairs(samples, rewards, G) : this.offlinePairs(step, B);
      view.pairs = this.describePairs(pairs);
      pending = backend.update(step, { objective: 'dpo', samples, pairs }, hyper);
    } else {
      const demos = this.demoBatch(step, B);
      view.demos = Array.from({ length: demos.count }, (_, i) => ({
        prompt: demos.promptOf[i],
        answer: this.vocab.decode(demos.tokens, i * this.maxLen, demos.lengths[i]),
      }));
      pending = backend.update(step, { objective: 'sft', samples, demos }, hyper);
    }
    if (backend.kind === 'webgpu') this.prefetch(this.drawFor(step + 1, cfg));
    const stats = await pending;
    if (!stats.finite) {
      // The prefetched draws came from the non-finite policy the backend has since rolled back.
      this.prefetched = null;
      return {
        ok: false,
        step,
        reason: 'diverged',
        message:
          `step ${step}: the loss or the logits overflowed (NaN/Inf, or a logit beyond ±${LOGIT_LIMIT.toExponential(0)}): ` +
          `learning rate ${cfg.optimizer.learning_rate} is probably too high; restored the last good state`,
      };
    }

    const metrics: StepMetrics = { step, loss: stats.loss, ...rewardStats(rewards, G), kl: stats.kl, entropy: stats.entropy, grader_errors: graded.errors };
    const { finite: _f, grad_norm, ...rest } = stats;
    Object.assign(metrics, rest, { grad_norm });
    if (cfg.objective !== 'rft') delete metrics.clip_ratio;
    const notes: string[] = [];
    for (const [name, g] of Object.entries(this.deps.evalGraders ?? {})) {
      const r = await g.grade(sampleObjs, items);
      // Stopped on request after the update: the step stands, without this measurement.
      if (r.cancelled) continue;
      // A grader that scored nothing (timed out, failed to load) has no mean: 0 would read as "all wrong".
      if (r.scores.length > 0 && r.errors >= r.scores.length) {
        notes.push(`evaluation grader "${name}" failed on every sample (${r.firstError ?? 'no score'}); rewards/${name} is left out of this step`);
        continue;
      }
      metrics[`rewards/${name}`] = meanOf(r.scores, 0, r.scores.length);
    }
    if (step % cfg.eval_steps === 0) {
      const evaluation = await this.evaluate(step);
      if (evaluation) {
        Object.assign(metrics, evaluation.metrics);
        notes.push(...evaluation.notes);
      }
    }
    this.completed = step;
    return notes.length ? { ok: true, metrics, view, notes } : { ok: true, metrics, view };
  }

  /** Whether the task holds prompts out (then `evaluate` has something to measure). */
  get hasHeldOut(): boolean {
    return trainPromptCount(this.deps.task) < this.deps.task.items.length;
  }

  /**
   * The held-out evaluation: sampled answers at the run's temperature on every held-out prompt
   * (eval_reward, eval_rewards/<name>, eval_copy_rate) and the greedy answer (eval_reward_greedy,
   * eval_copy_rate_greedy). Reads the policy and draws on its own stream: training does not see it
   * and goes on exactly as without it. Null when nothing is held out or grading was cancelled.
   */
  async evaluate(step: number): Promise<{ metrics: Record<string, number>; notes: string[] } | null> {
    const { task, backend, grader } = this.deps;
    const first = trainPromptCount(task);
    const heldOut = task.items.length - first;
    if (heldOut <= 0) return null;
    const cfg = this.config;
    const perPrompt = Math.max(1, Math.min(EVAL_MAX_PER_PROMPT, Math.ceil(EVAL_SAMPLES / heldOut)));
    const promptOf = new Int32Array(heldOut * perPrompt);
    for (let i = 0; i < heldOut; i++) promptOf.fill(first + i, i * perPrompt, (i + 1) * perPrompt);
    const sampled = await backend.sample(step, Stream.eval, promptOf, cfg.temperature, cfg.seed);
    const sampledTexts = this.decodeAll(sampled);
    const params = await backend.readPolicy();
    const greedyPrompts = Array.from({ length: heldOut }, (_, i) => first + i);
    const kind = policyModel(params.shape.kind).readouts;
    const greedy = kind.greedyAnswers ? kind.greedyAnswers(params, greedyPrompts) : greedyPrompts.map((p) => kind.greedyAnswer(params, p));
    const greedyTexts = greedy.map((answer) => this.vocab.decode(Int32Array.from(answer), 0, answer.length));
    const sampledItems = Array.from(promptOf, (p) => task.items[p]);
    const greedyItems = greedyPrompts.map((p) => task.items[p]);
    const metrics: Record<string, number> = {};
    const notes: string[] = [];
    const score = async (g: Grader, name: string, texts: string[], items: typeof sampledItems): Promise<number | null> => {
      const r = await g.grade(texts.map((output_text) => ({ output_text })), items);
      if (r.cancelled) return null;
      if (r.scores.length > 0 && r.errors >= r.scores.length) {
        notes.push(`${name} failed on every held-out sample (${r.firstError ?? 'no score'}); it is left out of step ${step}`);
        return null;
      }
      return meanOf(r.scores, 0, r.scores.length);
    };
    const sampledReward = await score(grader, 'the grader', sampledTexts, sampledItems);
    const greedyReward = await score(grader, 'the grader', greedyTexts, greedyItems);
    if (sampledReward === null || greedyReward === null) return notes.length ? { metrics, notes } : null;
    metrics.eval_reward = sampledReward;
    metrics.eval_reward_greedy = greedyReward;
    for (const [name, g] of Object.entries(this.deps.evalGraders ?? {})) {
      const r = await score(g, `evaluation grader "${name}"`, sampledTexts, sampledItems);
      if (r !== null) metrics[`eval_rewards/${name}`] = r;
    }
    if (task.heldOutWrong) {
      // The demonstrations' typical wrong answers on prompts SFT never saw: copying the demos' errors, not the rule.
      const wrong = task.heldOutWrong;
      const copied = (texts: string[], prompts: ArrayLike<number>) => {
        let n = 0;
        for (let i = 0; i < texts.length; i++) if (wrong[prompts[i] - first]?.includes(texts[i])) n++;
        return texts.length ? n / texts.length : 0;
      };
      metrics.eval_copy_rate = copied(sampledTexts, promptOf);
      metrics.eval_copy_rate_greedy = copied(greedyTexts, greedyPrompts);
    }
    return { metrics, notes };
  }

  /** What a step samples: rows grouped by prompt, prompts cycling through the task. */
  private drawFor(step: number, cfg: Config): Draw {
    const B = cfg.batch_prompts;
    const G = cfg.num_generations;
    // Held-out prompts (items from trainPromptCount on) are never drawn for training.
    const P = trainPromptCount(this.deps.task);
    const promptOf = new Int32Array(B * G);
    for (let b = 0; b < B; b++) promptOf.fill(((step - 1) * B + b) % P, b * G, b * G + G);
    const trainsOnSamples = cfg.objective === 'rft' || (cfg.objective === 'dpo' && cfg.dpo.pairs === 'online');
    const stream = trainsOnSamples ? Stream.train : Stream.measure;
    return { step, stream, promptOf, temperature: cfg.temperature, seed: cfg.seed, key: `${step}/${stream}/${B}x${G}/${P}/${cfg.temperature}/${cfg.seed}` };
  }

  private prefetch(draw: Draw): void {
    const batch = this.deps.backend.sample(draw.step, draw.stream, draw.promptOf, draw.temperature, draw.seed);
    batch.catch(() => {}); // a prefetch nobody takes must not surface as an unhandled rejection
    this.prefetched = { key: draw.key, batch };
  }

  private takeSamples(draw: Draw): Promise<TokenBatch> {
    const hit = this.prefetched?.key === draw.key ? this.prefetched.batch : null;
    this.prefetched = null;
    return hit ?? this.deps.backend.sample(draw.step, draw.stream, draw.promptOf, draw.temperature, draw.seed);
  }

  private decodeAll(b: TokenBatch): string[] {
    const out = new Array<string>(b.count);
    for (let i = 0; i < b.count; i++) out[i] = this.vocab.decode(b.tokens, i * this.maxLen, b.lengths[i]);
    return out;
  }

  /** DPO online: per prompt group, the best- vs the worst-scored candidate; ties teach nothing and are skipped. */
  private onlinePairs(samples: TokenBatch, rewards: Float32Array, G: number): PairBatch {
    const L = this.maxLen;
    const groups = Math.floor(samples.count / G);
    const pick: number[][] = [];
    for (let g = 0; g < groups; g++) {
      let best = g * G;
      let worst = g * G;
      for (let i = g * G + 1; i < g * G + G; i++) {
        if (rewards[i] > rewards[best]) best = i;
        if (rewards[i] < rewards[worst]) worst = i;
      }
      if (rewards[best] > rewards[worst]) pick.push([best, worst]);
    }
    const K = pick.length;
    const out = emptyPairs(K, L);
    pick.forEach(([w, l], k) => {
      out.promptOf[k] = samples.promptOf[w];
      out.chosen.set(samples.tokens.subarray(w * L, w * L + L), k * L);
      out.rejected.set(samples.tokens.subarray(l * L, l * L + L), k * L);
      out.chosenLen[k] = samples.lengths[w];
      out.rejectedLen[k] = samples.lengths[l];
    });
    return out;
  }

  private offlinePairs(step: number, B: number): PairBatch {
    if (!this.pairsChosen || !this.pairsRejected) {
      const pairs = this.deps.task.pairs;
      if (pairs.length === 0) throw new Error(`task "${this.deps.task.id}" has no preference pairs: DPO needs a DPO file (or use dpo.pairs "online")`);
      this.pairsChosen = this.encode(pairs.map((p) => ({ prompt: p.prompt, answer: p.chosen })), 'preference pair (chosen)');
      this.pairsRejected = this.encode(pairs.map((p) => ({ prompt: p.prompt, answer: p.rejected })), 'preference pair (rejected)');
    }
    const c = this.pairsChosen;
    const r = this.pairsRejected;
    const L = this.maxLen;
    const out = emptyPairs(B, L);
    for (let b = 0; b < B; b++) {
      const i = ((step - 1) * B + b) % c.count;
      out.promptOf[b] = c.promptOf[i];
      out.chosen.set(c.tokens.subarray(i * L, i * L + L), b * L);
      out.rejected.set(r.tokens.subarray(i * L, i * L + L), b * L);
      out.chosenLen[b] = c.lengths[i];
      out.rejectedLen[b] = r.lengths[i];
    }
    return out;
  }

  private demoBatch(step: number, B: number): TokenBatch {
    if (!this.demos) {
      const demos = this.deps.task.demos;
      if (demos.length === 0) throw new Error(`task "${this.deps.task.id}" has no demonstrations: SFT needs an SFT file`);
      this.demos = this.encode(demos, 'demonstration');
    }
    const d = this.demos;
    const L = this.maxLen;
    const out: TokenBatch = { count: B, promptOf: new Int32Array(B), tokens: new Int32Array(B * L), lengths: new Int32Array(B) };
    for (let b = 0; b < B; b++) {
      const i = ((step - 1) * B + b) % d.count;
      out.promptOf[b] = d.promptOf[i];
      out.tokens.set(d.tokens.subarray(i * L, i * L + L), b * L);
      out.lengths[b] = d.lengths[i];
    }
    return out;
  }

  private encode(list: { prompt: number; answer: string }[], what: string): Encoded {
    const L = this.maxLen;
    const enc: Encoded = { count: list.length, promptOf: new Int32Array(list.length), tokens: new Int32Array(list.length * L), lengths: new Int32Array(list.length) };
    list.forEach((d, i) => {
      enc.promptOf[i] = d.prompt;
      try {
        enc.lengths[i] = this.vocab.encodeInto(d.answer, L, enc.tokens, i * L);
      } catch (e) {
        throw new Error(`${what} ${i + 1} for prompt "${this.deps.task.items[d.prompt]?.prompt}": ${(e as Error).message}`);
      }
    });
    return enc;
  }

  private describePairs(p: PairBatch): StepView['pairs'] {
    const L = this.maxLen;
    return Array.from({ length: p.count }, (_, k) => ({
      prompt: p.promptOf[k],
      chosen: this.vocab.decode(p.chosen, k * L, p.chosenLen[k]),
      rejected: this.vocab.decode(p.rejected, k * L, p.rejectedLen[k]),
    }));
  }
}

/** The config a step updates with: the learning rate of its place in the schedule (the config itself when constant). */
export function hyperAt(cfg: Config, step: number): Config {
  const opt = cfg.optimizer;
  if (opt.lr_scheduler_type === 'constant' && opt.warmup_steps === 0) return cfg;
  return { ...cfg, optimizer: { ...opt, learning_rate: scheduledLearningRate(opt, step, cfg.steps) } };
}

function emptyPairs(K: number, L: number): PairBatch {
  return {
    count: K,
    promptOf: new Int32Array(K),
    chosen: new Int32Array(K * L),
    chosenLen: new Int32Array(K),
    rejected: new Int32Array(K * L),
    rejectedLen: new Int32Array(K),
  };
}

/** reward (mean), reward_std (mean of the groups' stds, as TRL logs it) and frac_reward_zero_std. */
export function rewardStats(rewards: ArrayLike<number>, G: number): { reward: number; reward_std: number; frac_reward_zero_std: number } {
  const N = rewards.length;
  let stdSum = 0;
  let zero = 0;
  let groups = 0;
  for (let g0 = 0; g0 < N; g0 += G) {
    const end = Math.min(g0 + G, N);
    const s = stdOf(rewards, g0, end);
    stdSum += s;
    if (s < 1e-8) zero++;
    groups++;
  }
  return { reward: meanOf(rewards, 0, N), reward_std: groups ? stdSum / groups : 0, frac_reward_zero_std: groups ? zero / groups : 0 };
}
