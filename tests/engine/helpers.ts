import type { PairBatch, TokenBatch } from '../../src/engine/backend.ts';
import { loadConfig, type Config, type ConfigInput } from '../../src/engine/config.ts';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { cloneState, type PolicyState } from '../../src/engine/policy.ts';
import { initialState, resolveTask } from '../../src/engine/setup.ts';
import { Vocabulary, type Task } from '../../src/engine/task.ts';

export function config(over: ConfigInput): Config {
  return loadConfig({ backend: 'cpu', ...over });
}

export function fixture(over: ConfigInput): { cfg: Config; task: Task; state: PolicyState; backend: CpuBackend } {
  const cfg = config(over);
  const task = resolveTask(cfg);
  const state = initialState(cfg, task);
  const backend = new CpuBackend(state);
  backend.gradientLog = [];
  return { cfg, task, state: cloneState(state), backend };
}

/** `count` rows per prompt group, prompts cycling, as a lane lays them out. */
export function promptLayout(prompts: number, groups: number, G: number): Int32Array {
  const out = new Int32Array(groups * G);
  for (let g = 0; g < groups; g++) out.fill(g % prompts, g * G, g * G + G);
  return out;
}

export function encodeAnswers(task: Task, maxLen: number, list: { prompt: number; answer: string }[]): TokenBatch {
  const vocab = new Vocabulary(task.alphabet);
  const b: TokenBatch = { count: list.length, promptOf: new Int32Array(list.length), tokens: new Int32Array(list.length * maxLen), lengths: new Int32Array(list.length) };
  list.forEach((d, i) => {
    b.promptOf[i] = d.prompt;
    b.lengths[i] = vocab.encodeInto(d.answer, maxLen, b.tokens, i * maxLen);
  });
  return b;
}

export function pairBatch(task: Task, maxLen: number, count: number): PairBatch {
  const pairs = task.pairs.slice(0, count);
  const c = encodeAnswers(task, maxLen, pairs.map((p) => ({ prompt: p.prompt, answer: p.chosen })));
  const r = encodeAnswers(task, maxLen, pairs.map((p) => ({ prompt: p.prompt, answer: p.rejected })));
  return { count: pairs.length, promptOf: c.promptOf, chosen: c.tokens, chosenLen: c.lengths, rejected: r.tokens, rejectedLen: r.lengths };
}

/** Deterministic non-trivial rewards in [0, 1] with some tied groups. */
export function syntheticRewards(n: number, G: number): Float32Array {
  const r = new Float32Array(n);
  for (let i = 0; i < n; i++) r[i] = Math.floor(i / G) % 3 === 2 ? 0.5 : ((i * 7) % 5) / 4;
  return r;
}

export { expectClose } from '../shared/allclose.ts';
