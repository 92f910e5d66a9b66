/**
 * Shared by the GPU tests: the Node WebGPU adapter (SwiftShader on machines
 * without a GPU; tests skip only when there is no adapter at all), tolerance
 * checks, and request builders that mirror what a Lane sends.
 */
import { expect } from 'vitest';
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

/** |a − b| ≤ rtol·max(|a|, |b|) + atol, with a message naming the quantity. */
export function expectClose(actual: number, expected: number, rtol: number, atol: number, what: string): void {
  const ok = Math.abs(actual - expected) <= rtol * Math.max(Math.abs(actual), Math.abs(expected)) + atol || (Number.isNaN(actual) && Number.isNaN(expected));
  if (!ok) expect.fail(`${what}: got ${actual}, expected ${expected} (rtol ${rtol}, atol ${atol})`);
}

/** Element-wise agreement within rtol of the array's largest magnitude (small entries are judged on the array's scale). */
export function expectArrayClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const tol = rtol * scale + 1e-30;
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol) && (err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) expect.fail(`${what}[${worst}]: got ${actual[worst]}, expected ${expected[worst]} (|Δ| ${worstErr}, allowed ${tol} = ${rtol} × max |x| ${scale})`);
}

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
