/** The worker's pure parts: which changes need a reset, metric batching, rates, policy views. */
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../../src/engine/config.ts';
import { initialState, resolveTask } from '../../src/engine/setup.ts';
import { Vocabulary } from '../../src/engine/task.ts';
import { changedPaths, classifyChange } from '../../src/worker/config-diff.ts';
import { MetricBatcher, RateMeter } from '../../src/worker/metric-batcher.ts';
import { answerLogProb, greedyAnswer } from '../../src/worker/policy-view.ts';
import { listPhrase, nounCount } from '../../src/worker/protocol.ts';

describe('classifyChange', () => {
  const base = defaultConfig();
  it('lists changed leaves and flags shape changes for reset', () => {
    const next = loadConfig({ policy: { kind: 'autoregressive' }, optimizer: { learning_rate: 0.5 }, rft: { epsilon: 0.3 } });
    const c = classifyChange(base, next);
    expect(c.changed.sort()).toEqual(['optimizer.learning_rate', 'policy.kind', 'rft.epsilon']);
    expect(c.reset).toEqual(['policy.kind']);
    expect(c.data).toBe(false);
    expect(c.grader).toBe(false);
  });
  it('applies optimizer and objective knobs live, rebuilds data for noise knobs, grader for grader', () => {
    expect(classifyChange(base, loadConfig({ optimizer: { learning_rate: 0.5 }, num_generations: 4 })).reset).toEqual([]);
    const data = classifyChange(base, loadConfig({ demo_error_rate: 0.5 }));
    expect(data).toMatchObject({ reset: [], data: true, grader: false });
    const grader = classifyChange(base, loadConfig({ grader: { type: 'string_check', operation: 'ne' } }));
    expect(grader).toMatchObject({ reset: [], data: false, grader: true });
  });
  it('needs a reset for task, seed, num_prompts and backend', () => {
    const c = classifyChange(base, loadConfig({ task: 'add', seed: 3, num_prompts: 4, backend: 'cpu' }));
    expect(c.reset.sort()).toEqual(['backend', 'num_prompts', 'seed', 'task']);
  });
  it('an unchanged config has no changes', () => {
    expect(changedPaths(base, structuredClone(base))).toEqual([]);
  });
});

describe('MetricBatcher', () => {
  it('releases at most 30 batches a second and loses or reorders nothing', () => {
    let t = 0;
    const b = new MetricBatcher<'a' | 'b', number>(1000 / 30, () => t);
    const got: Record<'a' | 'b', number[]> = { a: [], b: [] };
    let batches = 0;
    // 2 s of records every 0.7 ms (a fast CPU run), flushing whenever allowed.
    for (let i = 0; t < 2000; i++, t += 0.7) {
      b.push('a', i);
      if (i % 3 === 0) b.push('b', i);
      if (b.due()) {
        const out = b.take();
        got.a.push(...(out.a ?? []));
        got.b.push(...(out.b ?? []));
        batches++;
      }
    }
    const rest = b.take();
    got.a.push(...(rest.a ?? []));
    got.b.push(...(rest.b ?? []));
    const n = got.a.length;
    expect(got.a).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(got.b).toEqual(got.a.filter((i) => i % 3 === 0));
    expect(batches).toBeLessThanOrEqual(61);
    expect(batches).toBeGreaterThanOrEqual(55);
  });
  it('is not due when empty, and says how long to wait', () => {
    let t = 100;
    const b = new MetricBatcher<'a', number>(50, () => t);
    expect(b.due()).toBe(false);
    b.push('a', 1);
    expect(b.due()).toBe(true);
    b.take();
    b.push('a', 2);
    t = 120;
    expect(b.due()).toBe(false);
    expect(b.waitMs()).toBe(30);
  });
});

describe('RateMeter', () => {
  it('measures steps and samples per second over its window', () => {
    let t = 0;
    const m = new RateMeter(2000, () => t);
    // 50 steps/s of 256 samples for 3 s.
    for (; t <= 3000; t += 20) m.record(1, 256);
    const r = m.rates();
    // Within 2%: the window's edges fall between marks.
    expect(Math.abs(r.stepsPerSecond - 50) / 50).toBeLessThan(0.02);
    expect(Math.abs(r.samplesPerSecond - 50 * 256) / (50 * 256)).toBeLessThan(0.02);
    expect(r.samplesPerSecond / r.stepsPerSecond).toBeCloseTo(256, 9);
  });
  it('reports zero before two marks', () => {
    const m = new RateMeter(2000, () => 0);
    m.record(1, 1);
    expect(m.rates()).toEqual({ stepsPerSecond: 0, samplesPerSecond: 0 });
  });
});

describe('policy views', () => {
  const config = loadConfig({ policy: { kind: 'autoregressive', init: 'base' } });
  const task = resolveTask(config);
  const state = initialState(config, task);
  const vocab = new Vocabulary(task.alphabet);
  /** Probability of a token path, with a softmax written out here rather than the engine's. */
  const pathProb = (prompt: number, tokens: number[]) => {
    const { maxLen: L, vocab: V } = state.shape;
    let p = 1;
    let prev = 0;
    tokens.forEach((tok, t) => {
      const row = ((prompt * L + t) * V + prev) * V;
      const exps = Array.from({ length: V }, (_, j) => Math.exp(state.logits[row + j]));
      p *= exps[tok] / exps.reduce((a, b) => a + b, 0);
      prev = tok;
    });
    return p;
  };
  it('answer log-probability matches the product of the softmax path', () => {
    for (const answer of ['', 'a', 'cab', 'bbca']) {
      const tokens = [...[...answer].map((ch) => vocab.tokenOf(ch)!), 0];
      expect(answerLogProb(state.logits, state.shape, 2, answer, vocab)).toBeCloseTo(Math.log(pathProb(2, tokens)), 5);
    }
  });
  it('all answers that end in EOS plus the max-length ones without it carry probability 1', () => {
    const L = state.shape.maxLen;
    let total = 0;
    const visit = (s: string) => {
      if (s.length + 1 <= L) total += Math.exp(answerLogProb(state.logits, state.shape, 2, s, vocab));
      if (s.length + 1 < L) for (const ch of task.alphabet) visit(s + ch);
      // A path of L letters never emits EOS; the sampler stops there.
      if (s.length + 1 === L) for (const ch of task.alphabet) total += pathProb(2, [...s + ch].map((c) => vocab.tokenOf(c)!));
    };
    visit('');
    expect(total).toBeCloseTo(1, 6);
  });
  it('greedy answer is the argmax path', () => {
    // Make one path overwhelmingly likely and check greedy finds it.
    const logits = new Float32Array(state.logits.length);
    const s = { ...state.shape, kind: 'tabular' as const };
    const want = 'cab';
    [...want, ''].forEach((ch, t) => {
      const token = ch ? vocab.tokenOf(ch)! : 0;
      logits[(0 * s.maxLen + t) * s.vocab + token] = 10;
    });
    expect(greedyAnswer(logits, s, 0, vocab)).toBe(want);
  });
});

describe('backend badge', async () => {
  const { badgeFor, cpuReason, webgpuUnavailableReason } = await import('../../src/worker/backend-choice.ts');
  const fake = (kind: 'cpu' | 'webgpu', label: string) => ({ kind, label }) as unknown as import('../../src/engine/backend.ts').Backend;
  it('names the adapter on WebGPU and the reason on the CPU', () => {
    expect(badgeFor(fake('webgpu', 'webgpu (swiftshader (google))'), null, 'auto')).toBe('WebGPU — swiftshader (google)');
    expect(badgeFor(fake('cpu', 'cpu'), 'WebGPU is not available (no WebGPU adapter); training on the CPU', 'auto')).toBe('CPU — no WebGPU adapter');
    expect(cpuReason(null, 'cpu')).toBe('chosen in the config');
  });
  it('tells a missing WebGPU from a missing adapter', async () => {
    expect(await webgpuUnavailableReason(null)).toBe('this browser has no WebGPU');
    expect(await webgpuUnavailableReason({ requestAdapter: async () => null } as unknown as GPU)).toBe('no WebGPU adapter');
    expect(await webgpuUnavailableReason({ requestAdapter: async () => ({}) } as unknown as GPU)).toBeNull();
    expect(await webgpuUnavailableReason({ requestAdapter: async () => Promise.reject(new Error('blocked')) } as unknown as GPU)).toBe(
      'WebGPU adapter request failed: blocked',
    );
  });
});

describe('wording', () => {
  it('lists with "and" and counts with the right plural', () => {
    expect(listPhrase([])).toBe('');
    expect(listPhrase(['Task'])).toBe('Task');
    expect(listPhrase(['Task', 'Seed'])).toBe('Task and Seed');
    expect(listPhrase(['Task', 'Policy kind', 'Seed', 'Task'])).toBe('Task, Policy kind and Seed');
    expect(nounCount(1, 'preference pair')).toBe('1 preference pair');
    expect(nounCount(0, 'demonstration')).toBe('0 demonstrations');
    expect(nounCount(32, 'candidate')).toBe('32 candidates');
  });
  it('an imported task’s file changes are one "task" change', () => {
    const a = loadConfig({ task: { sft_file: 'a.jsonl' } });
    const b = loadConfig({ task: { sft_file: 'b.jsonl', dpo_file: 'd.jsonl' }, seed: 2 });
    expect(classifyChange(a, b).reset.sort()).toEqual(['seed', 'task']);
  });
});
