/**
 * The transformer's GpuPolicyModel (src/gpu/transformer/policy.ts) against
 * the CPU adapter (src/engine/policies/transformer.ts), one seam call at a
 * time, on shapes that are multiples of no tile (d_model 20, 4 heads of 5 (2 of 10 with rotary),
 * d_mlp 36, a context of 11) with parameters moved well off the initialisation:
 * - visits (build_context + the reference's and the policy's forward +
 *   visit_stats): log π, log π − log π_ref, H, KL and greedy per visit, at T ≠ 1;
 * - backward (logits_grad with the entropy term + the backward kernels +
 *   unpack_grad): the flat gradient and Σ g²;
 * - sample (per position build_context + forward + sample_token): the tokens
 *   the CPU's decode draws with the same keys, except within rounding of a
 *   CDF boundary (the mismatch rate is printed);
 * for learned and rotary positions; and the same bits twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenBatch } from '../../src/engine/backend.ts';
import type { CpuPolicyModel, PolicyShape } from '../../src/engine/policies/types.ts';
import { Stream } from '../../src/engine/prng.ts';
import { Submission } from '../../src/gpu/submission.ts';
import { storageBuffer, submitOnce } from '../../src/gpu/transformer/submit.ts';
import { gpu } from './helpers.ts';
import { cpuModel, gpuModel, type GpuModelRig, packBatch, perturbed, randomAnswers, transformerShape } from './transformer-model.ts';

const RTOL = 1e-4;
const T = 0.7;

function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  let largest = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    largest = Math.max(largest, Math.abs(expected[i]));
  }
  return worst / Math.max(largest, 1e-30);
}

/** Draws compared and draws that differ, up to and including each answer's first difference (after it the contexts differ). */
export function compareAnswers(a: TokenBatch, b: TokenBatch, L: number): { draws: number; mismatches: number } {
  let draws = 0;
  let mismatches = 0;
  for (let n = 0; n < a.count; n++) {
    const len = Math.max(a.lengths[n], b.lengths[n]);
    for (let t = 0; t < len; t++) {
      draws++;
      if (a.tokens[n * L + t] !== b.tokens[n * L + t]) {
        mismatches++;
        break;
      }
    }
  }
  return { draws, mismatches };
}

const errors: Record<string, number> = {};

describe.skipIf(!gpu).each(['learned', 'rotary'] as const)('transformer GPU policy model, %s positions', (positions) => {
  let shape: PolicyShape;
  let params: Float32Array;
  let ref: Float32Array;
  let rig: GpuModelRig;
  let cpu: CpuPolicyModel;

  beforeAll(async () => {
    // Rotary rotates channel pairs: 2 heads of 10 there.
    const s = transformerShape({ layers: 2, d_model: 20, heads: positions === 'rotary' ? 2 : 4, d_mlp: 36, positions });
    shape = s.shape;
    params = perturbed(s.params, 0.25, 1);
    ref = perturbed(s.params, 0.25, 2);
    rig = await gpuModel(gpu!, shape, params, ref);
    cpu = cpuModel(shape, params, ref);
  });
  afterAll(() => rig?.destroy());

  /** visits (and optionally backward) of `batch` on the GPU; returns what was read back. */
  async function onGpu(batch: TokenBatch, visitGrad: Float32Array | null) {
    const L = shape.maxLen;
    const device = rig.runtime.device;
    const N = batch.count;
    const batchBuf = storageBuffer(device, 'batch', new Int32Array(packBatch(batch, L).buffer));
    const visits = storageBuffer(device, 'visits', N * L * 4);
    const greedy = storageBuffer(device, 'greedy', N * L);
    const sub = new Submission();
    const db = { binding: batchBuf, count: N, promptOf: batch.promptOf };
    rig.model.prepare(sub, T);
    rig.model.visits(sub, db, T, { visits, greedy }, true);
    let terms: Promise<ArrayBuffer> | null = null;
    let grad: Promise<ArrayBuffer> | null = null;
    let termCount = 0;
    if (visitGrad) {
      const vg = storageBuffer(device, 'visit grad', visitGrad);
      const out = rig.model.backward(sub, db, vg, T);
      termCount = out.count;
      terms = sub.readback(out.terms, 0, out.count * 16);
      grad = sub.readback(rig.grad, 0, params.length * 4);
    }
    const v = sub.readback(visits, 0, N * L * 16);
    const g = sub.readback(greedy, 0, N * L * 4);
    await submitOnce(device, sub);
    return {
      visits: new Float32Array(await v),
      greedy: new Uint32Array(await g),
      grad: grad ? new Float32Array(await grad) : null,
      sq: terms ? (() => 0)() : 0,
      termsRaw: terms ? new Float32Array(await terms) : null,
      termCount,
    };
  }

  function cpuVisits(batch: TokenBatch) {
    const L = shape.maxLen;
    cpu.invalidate();
    cpu.prepareBatch!(batch, T);
    const handles = new Int32Array(L);
    const rows: { n: number; t: number; h: number }[] = [];
    for (let n = 0; n < batch.count; n++) {
      cpu.visits(batch.promptOf[n], batch.tokens, n * L, batch.lengths[n], T, handles);
      for (let t = 0; t < batch.lengths[n]; t++) rows.push({ n, t, h: handles[t] });
    }
    return rows;
  }

  it('visits: log π, log π − log π_ref, H, KL and greedy per visit match the CPU adapter', async () => {
    const batch = randomAnswers(shape, 23, 3);
    const L = shape.maxLen;
    const got = await onGpu(batch, null);
    const rows = cpuVisits(batch);
    const expected = { logp: [] as number[], gap: [] as number[], h: [] as number[], kl: [] as number[] };
    const actual = { logp: [] as number[], gap: [] as number[], h: [] as number[], kl: [] as number[] };
    let greedyMismatch = 0;
    for (const { n, t, h } of rows) {
      const v = n * L + t;
      const tok = batch.tokens[v];
      expected.logp.push(cpu.logProb(h, tok, T));
      expected.gap.push(cpu.logProb(h, tok, T) - cpu.refLogProb(h, tok, T));
      expected.h.push(cpu.entropy(h));
      expected.kl.push(cpu.klToReference(h, T));
      actual.logp.push(got.visits[4 * v]);
      actual.gap.push(got.visits[4 * v + 1]);
      actual.h.push(got.visits[4 * v + 2]);
      actual.kl.push(got.visits[4 * v + 3]);
      if (got.greedy[v] !== cpu.greedyToken(h)) greedyMismatch++;
    }
    for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
      const e = relError(actual[key], expected[key]);
      errors[`${positions} visits ${key}`] = e;
      expect(e, key).toBeLessThan(RTOL);
    }
    // Per visit too (not only against the largest): the KL is small next to log π.
    for (let i = 0; i < rows.length; i++) expect(Math.abs(actual.kl[i] - expected.kl[i])).toBeLessThan(RTOL * Math.max(1e-2, Math.abs(expected.kl[i])));
    expect(greedyMismatch).toBe(0);
    expect(rows.length).toBeGreaterThan(50);
  });

  it('backward: the flat gradient and Σ g² from (∂L/∂log π, entropy weight) match the CPU adapter', async () => {
    const batch = randomAnswers(shape, 19, 4);
    const L = shape.maxLen;
    const vg = new Float32Array(batch.count * L * 2);
    for (let n = 0; n < batch.count; n++) {
      for (let t = 0; t < batch.lengths[n]; t++) {
        const v = n * L + t;
        vg[2 * v] = Math.fround(Math.sin(v * 1.7) * 0.5);
        vg[2 * v + 1] = (n + t) % 3 === 0 ? 0 : Math.fround(0.03 * Math.cos(v));
      }
    }
    const got = await onGpu(batch, vg);
    const rows = cpuVisits(batch);
    cpu.clearGradient();
    for (const { n, t, h } of rows) {
      const v = n * L + t;
      cpu.addUpstream(h, batch.tokens[v], vg[2 * v]);
      if (vg[2 * v + 1] !== 0) cpu.addEntropyUpstream(h, -vg[2 * v + 1]);
    }
    const sq = cpu.backward(T);
    const e = relError(got.grad!, cpu.grad);
    errors[`${positions} gradient`] = e;
    expect(e).toBeLessThan(RTOL);
    let gpuSq = 0;
    for (let i = 0; i < got.termCount; i++) gpuSq += got.termsRaw![4 * i];
    expect(Math.abs(gpuSq - sq) / sq).toBeLessThan(RTOL);
    // Twice: the same bits.
    const again = await onGpu(batch, vg);
    expect(Array.from(again.grad!)).toEqual(Array.from(got.grad!));
    expect(Array.from(again.visits)).toEqual(Array.from(got.visits));
  });

  it('sample: the CPU decode\'s tokens, except within rounding of a CDF boundary', async () => {
    const L = shape.maxLen;
    const N = 300;
    const promptOf = Int32Array.from({ length: N }, (_, n) => (n * 5) % shape.prompts);
    const device = rig.runtime.device;
    const out = storageBuffer(device, 'sampled', 2 * N + N * L);
    let draws = 0;
    let mismatches = 0;
    for (const step of [1, 2]) {
      const sub = new Submission();
      rig.model.sample(sub, sub.upload(new Uint32Array(promptOf.buffer)), N, out, { seed: 11, stream: Stream.train, step, temperature: T });
      const data = sub.readback(out, 0, (2 * N + N * L) * 4);
      await submitOnce(device, sub);
      const raw = new Int32Array(await data);
      const mine: TokenBatch = { count: N, promptOf, lengths: raw.slice(N, 2 * N), tokens: raw.slice(2 * N) };
      expect(Array.from(raw.subarray(0, N))).toEqual(Array.from(promptOf));
      const theirs = cpu.sample(step, Stream.train, promptOf, T, 11);
      const c = compareAnswers(mine, theirs, L);
      draws += c.draws;
      mismatches += c.mismatches;
    }
    errors[`${positions} sampled-token mismatch rate (${draws} draws)`] = mismatches / draws;
    expect(mismatches / draws).toBeLessThan(1e-3);
  });
});

afterAll(() => {
  if (Object.keys(errors).length) console.log('transformer GPU policy, relative errors:', errors);
});
