/**
 * Shared by the GPU tests: the Node WebGPU adapter (SwiftShader on machines
 * without a GPU; tests skip only when there is no adapter at all), tolerance
 * checks, and request builders that mirror what a Lane sends.
 */
import type { PairBatch, TokenBatch } from '../../src/engine/backend.ts';
import { type Config, loadConfig } from '../../src/engine/config.ts';
import type { PolicyState } from '../../src/engine/policy.ts';
import { initialState, resolveTask } from '../../src/engine/setup.ts';
import { type Task, Vocabulary } from '../../src/engine/task.ts';
import { probeNodeGpu } from '../../src/gpu/node-gpu.ts';

const probe = await probeNodeGpu();
export const gpu: GPU | null = probe.gpu;
if (!gpu) console.warn(`GPU tests skipped: ${probe.reason}`);

export interface Setup {
  config: Config;
  task: Task;
  state: PolicyState;
}

export function setup(input: Record<string, unknown>): Setup {
  const config = loadConfig(input);
  const task = resolveTask(config);
  return { config, task, state: initialState(config, task) };
}

export { expectArrayClose, expectClose } from '../shared/allclose.ts';

/** Element-wise a − b. */
export function diff(a: Float32Array, b: Float32Array): Float64Array {
  return Float64Array.from(a, (x, i) => x - b[i]);
}

/** The prompts of step `step` as a Lane picks them: batch_prompts groups of num_generations. */
export function lanePrompts(config: Config, task: Task, step: number): Int32Array {
  const B = config.batch_prompts;
  const G = config.num_generations;
  const out = new Int32Array(B * G);
  for (let b = 0; b < B; b++) out.fill(((step - 1) * B + b) % task.items.length, b * G, b * G + G);
  return out;
}

/**
 * Dense, deterministic rewards with ties (a function of the tokens only): an
 * exact-match grader gives almost all zeros at the start, which would leave
 * most of the advantage code untested.
 */
export function syntheticRewards(batch: TokenBatch, maxLen: number): Float32Array {
  const out = new Float32Array(batch.count);
  for (let n = 0; n < batch.count; n++) {
    let h = 0;
    for (let t = 0; t < batch.lengths[n]; t++) h += batch.tokens[n * maxLen + t] * (t + 1);
    out[n] = (h % 5) / 4;
  }
  return out;
}

function encodeAll(task: Task, maxLen: number, list: { prompt: number; answer: string }[]): TokenBatch {
  const vocab = new Vocabulary(task.alphabet);
  const out: TokenBatch = { count: list.length, promptOf: new Int32Array(list.length), tokens: new Int32Array(list.length * maxLen), lengths: new Int32Array(list.length) };
  list.forEach((d, i) => {
    out.promptOf[i] = d.prompt;
    out.lengths[i] = vocab.encodeInto(d.answer, maxLen, out.tokens, i * maxLen);
  });
  return out;
}

/** `count` demonstrations of the task from `start` (cycling), encoded. */
export function demoBatch(task: Task, maxLen: number, start: number, count: number): TokenBatch {
  return encodeAll(task, maxLen, Array.from({ length: count }, (_, i) => task.demos[(start + i) % task.demos.length]));
}

/** `count` preference pairs of the task from `start` (cycling), encoded. */
export function pairBatch(task: Task, maxLen: number, start: number, count: number): PairBatch {
  const pairs = Array.from({ length: count }, (_, i) => task.pairs[(start + i) % task.pairs.length]);
  const chosen = encodeAll(task, maxLen, pairs.map((p) => ({ prompt: p.prompt, answer: p.chosen })));
  const rejected = encodeAll(task, maxLen, pairs.map((p) => ({ prompt: p.prompt, answer: p.rejected })));
  return { count, promptOf: chosen.promptOf, chosen: chosen.tokens, chosenLen: chosen.lengths, rejected: rejected.tokens, rejectedLen: rejected.lengths };
}
