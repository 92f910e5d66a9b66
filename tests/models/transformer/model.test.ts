/** The transformer's configuration checks, parameter layout and init, closed forms, causal masking and the KV-cache property. */
import { describe, expect, it } from 'vitest';
import { transformerConfig, TransformerConfigError } from '../../../src/models/transformer/config.ts';
import {
  createActivations,
  createGradients,
  createTransformer,
  forward,
  packSequences,
  tensorOf,
  visitStats,
  backward,
  createActivationGrads,
  type TokenSequences,
} from '../../../src/models/transformer/model.ts';
import { initParams, INIT_STD, paramLayout, PARAM_TENSORS } from '../../../src/models/transformer/params.ts';
import { TransformerVocabulary } from '../../../src/models/transformer/vocab.ts';
import { randomBatch, randomModel, SHAPES } from './helpers.ts';

const base = { vocabIn: 12, vocabOut: 6, context: 10 };

describe('transformer config', () => {
  it('fills the defaults: 2 layers, d_model 32, 4 heads, d_mlp 4 × d_model, learned positions', () => {
    expect(transformerConfig(base)).toEqual({ ...base, layers: 2, dModel: 32, heads: 4, dMlp: 128, positions: 'learned' });
    expect(transformerConfig({ ...base, dModel: 48 }).dMlp).toBe(192);
  });
  it.each([
    [{ dModel: 30, heads: 4 }, /policy\.d_model = 30 is not divisible by policy\.heads = 4.*try d_model 32/],
    [{ dModel: 12, heads: 4, positions: 'rotary' as const }, /policy\.positions = "rotary" needs an even head size.*12 \/ 4 = 3/],
    [{ layers: 0 }, /policy\.layers = 0: must be between 1 and 12/],
    [{ layers: 1.5 }, /policy\.layers = 1\.5: must be a whole number/],
    [{ dModel: 4, heads: 8 }, /policy\.heads = 8: must be between 1 and 4 \(at most policy\.d_model/],
    [{ dMlp: 0 }, /policy\.d_mlp = 0: must be between 1 and 4096/],
    [{ dModel: 1024 }, /policy\.d_model = 1024: must be between 1 and 512/],
    [{ positions: 'alibi' as never }, /policy\.positions = "alibi": must be "learned" or "rotary"/],
    [{ vocabOut: 13 }, /vocabulary size \(written\) = 13: must be between 2 and 12/],
    [{ context: 300 }, /context \(prompt \+ separator \+ answer\) = 300: must be between 1 and 256.*shorten the prompts or policy\.max_len/],
  ])('refuses %j, naming the field and the limit', (over, message) => {
    expect(() => transformerConfig({ ...base, ...over })).toThrow(TransformerConfigError);
    expect(() => transformerConfig({ ...base, ...over })).toThrow(message);
  });
});

describe('parameter layout and init', () => {
  it('lays out llm.c tensors back to back, each layered tensor holding every layer', () => {
    const cfg = transformerConfig({ ...base, layers: 3, dModel: 8, heads: 2, dMlp: 20 });
    const layout = paramLayout(cfg);
    expect(layout.list.map((t) => t.name)).toEqual([...PARAM_TENSORS]);
    let offset = 0;
    for (const t of layout.list) {
      expect(t.offset, t.name).toBe(offset);
      offset += t.size;
    }
    expect(layout.count).toBe(offset);
    const C = 8, M = 20, L = 3;
    const perLayer = 2 * C + 3 * C * C + 3 * C + C * C + C + 2 * C + M * C + M + C * M + C;
    expect(layout.count).toBe(12 * C + 10 * C + L * perLayer + 2 * C + 6 * C);
    expect(layout.tensors.qkvw.perLayer).toBe(3 * C * C);
    expect(tensorOf(layout, layout.tensors.fcb.offset + 2 * M - 1)).toBe('fcb');
    expect(paramLayout({ ...cfg, positions: 'rotary' }).tensors.wpe.size).toBe(0);
  });

  it('is deterministic from the seed, with GPT-2 scales', () => {
    const cfg = transformerConfig({ ...base, dModel: 32, heads: 4 });
    const a = initParams(cfg, 7);
    expect(initParams(cfg, 7)).toEqual(a);
    expect(initParams(cfg, 8)).not.toEqual(a);
    const { tensors } = paramLayout(cfg);
    const std = (name: keyof typeof tensors) => {
      const t = tensors[name];
      let s = 0;
      for (let i = t.offset; i < t.offset + t.size; i++) s += a[i] * a[i];
      return Math.sqrt(s / t.size);
    };
    expect(std('qkvw')).toBeCloseTo(INIT_STD, 2);
    expect(std('fcw')).toBeCloseTo(INIT_STD, 2);
    expect(std('fcprojw')).toBeCloseTo(INIT_STD / 2, 2); // 1/√(2·layers) with 2 layers
    expect(std('qkvb')).toBe(0);
    expect(a.subarray(tensors.ln1w.offset, tensors.ln1w.offset + tensors.ln1w.size).every((x) => x === 1)).toBe(true);
  });
});

describe('vocabulary', () => {
  it('keeps the engine ids for answer tokens, then the separator, then prompt-only characters', () => {
    const v = new TransformerVocabulary(['1', '2'], ['3+1', '2+2=']);
    expect(v.vocabOut).toBe(3);
    expect(v.SEP).toBe(3);
    expect(Array.from(v.encodePrompt('3+1'))).toEqual([4, 5, 1, 3]);
    expect(Array.from(v.encodeAnswer('21', 3))).toEqual([2, 1, 0]);
    expect(v.vocabIn).toBe(7); // EOS 1 2 SEP 3 + =
    expect(v.decodeAnswer([2, 1, 0, 1])).toBe('21');
    expect([4, 5, 6].map((t) => v.label(t))).toEqual(['3', '+', '=']);
    expect(() => v.encodeAnswer('3', 3)).toThrow(/"3", which is not in the task's answer vocabulary/);
    expect(() => v.encodePrompt('9')).toThrow(/"9", which is not in the transformer's vocabulary/);
  });
});

function zeroModel(shape: (typeof SHAPES)[string], keep: (name: string) => boolean) {
  const m = randomModel(shape, 3);
  for (const t of m.layout.list) if (!keep(t.name)) m.params.fill(0, t.offset, t.offset + t.size);
  return m;
}

describe.each(Object.entries(SHAPES))('closed forms and structure, %s shape', (_, shape) => {
  const ln = (V: number) => Math.log(V);

  it('all-zero weights give the uniform policy: log Z = ln V, H = ln V, KL to itself 0', () => {
    const m = zeroModel(shape, () => false);
    const seq = randomBatch(m.cfg, 3, 5);
    const acts = createActivations(m, seq.B, seq.T);
    forward(m, acts, seq, 0.7);
    const stats = visitStats(m, acts, seq, acts);
    const V = m.cfg.vocabOut;
    let visits = 0;
    for (let bt = 0; bt < seq.B * seq.T; bt++) {
      if (seq.targets[bt] < 0) continue;
      visits++;
      expect(stats.logProb[bt]).toBeCloseTo(-ln(V), 12);
      expect(stats.entropy[bt]).toBeCloseTo(ln(V), 12);
      expect(stats.kl[bt]).toBe(0);
    }
    expect(visits).toBeGreaterThan(5);
  });

  it('a zero output head alone gives the uniform policy whatever the rest', () => {
    const m = zeroModel(shape, (name) => name !== 'lmheadw');
    const seq = randomBatch(m.cfg, 2, 6);
    const acts = createActivations(m, seq.B, seq.T);
    forward(m, acts, seq);
    for (let i = 0; i < seq.B * seq.T * m.cfg.vocabOut; i++) if (seq.targets[Math.floor(i / m.cfg.vocabOut)] >= 0) expect(acts.probs[i]).toBeCloseTo(1 / m.cfg.vocabOut, 14);
  });

  it('KL is positive between different models, and entropy stays within [0, ln V]', () => {
    const m = randomModel(shape, 1);
    const r = randomModel(shape, 2);
    const seq = randomBatch(m.cfg, 3, 7);
    const a = createActivations(m, seq.B, seq.T);
    const b = createActivations(r, seq.B, seq.T);
    forward(m, a, seq);
    forward(r, b, seq);
    const s = visitStats(m, a, seq, b);
    for (let bt = 0; bt < seq.B * seq.T; bt++) {
      if (seq.targets[bt] < 0) continue;
      expect(s.kl[bt]).toBeGreaterThan(0);
      expect(s.entropy[bt]).toBeGreaterThan(0);
      expect(s.entropy[bt]).toBeLessThanOrEqual(ln(m.cfg.vocabOut) + 1e-12);
      expect(s.logProb[bt]).toBeLessThan(0);
    }
  });

  // With rotary positions the bias is rotated by each key's position, so it is no longer a shared shift.
  it.skipIf(shape.positions === 'rotary')('learned positions: the key bias has no gradient, a shared shift of every key cancels in the softmax', () => {
    const m = randomModel(shape, 1);
    const seq = randomBatch(m.cfg, 3, 8);
    const acts = createActivations(m, seq.B, seq.T);
    forward(m, acts, seq);
    const grads = createGradients(m);
    const dLogProb = new Float64Array(seq.B * seq.T).map((_, bt) => (seq.targets[bt] >= 0 ? -1 : 0));
    backward(m, acts, createActivationGrads(m, seq.B, seq.T), seq, grads, { dLogProb });
    const C = m.cfg.dModel;
    const perLayer = 3 * C;
    let key = 0;
    let query = 0;
    for (let l = 0; l < m.cfg.layers; l++) {
      for (let i = 0; i < C; i++) {
        key = Math.max(key, Math.abs(grads.g.qkvb[l * perLayer + C + i]));
        query = Math.max(query, Math.abs(grads.g.qkvb[l * perLayer + i]));
      }
    }
    expect(key).toBeLessThan(1e-12);
    expect(query).toBeGreaterThan(1e-4);
  });

  it('is causal: changing a later token never changes an earlier position (bit for bit)', () => {
    const m = randomModel(shape, 1);
    const seq = randomBatch(m.cfg, 2, 9);
    const before = logitsOf(m, seq);
    for (let k = 1; k < seq.lengths[0]; k++) {
      const changed = { ...seq, tokens: seq.tokens.slice() };
      changed.tokens[k] = (changed.tokens[k] + 1) % m.cfg.vocabIn;
      const after = logitsOf(m, changed);
      const V = m.cfg.vocabOut;
      for (let t = 0; t < k; t++) for (let j = 0; j < V; j++) expect(after[t * V + j]).toBe(before[t * V + j]);
      let moved = false;
      for (let j = 0; j < V; j++) if (after[k * V + j] !== before[k * V + j]) moved = true;
      expect(moved, `position ${k} reads its own token`).toBe(true);
    }
  });

  it('a forward from position k over stored earlier positions equals a full forward (the KV cache), bit for bit', () => {
    const m = randomModel(shape, 1);
    const seq = randomBatch(m.cfg, 3, 10);
    const full = logitsOf(m, seq);
    for (const k of [1, 3]) {
      const acts = createActivations(m, seq.B, seq.T);
      const prefix: TokenSequences = { ...seq, lengths: seq.lengths.map((n) => Math.min(n, k)) };
      forward(m, acts, prefix);
      forward(m, acts, seq, 1, prefix.lengths.slice());
      expect(Array.from(acts.logits)).toEqual(Array.from(full));
    }
  });

  it('padding is never read: a sequence alone equals the same sequence in a longer batch, bit for bit', () => {
    const m = randomModel(shape, 1);
    const seq = randomBatch(m.cfg, 3, 11);
    const full = logitsOf(m, seq);
    const V = m.cfg.vocabOut;
    const n = seq.lengths[1];
    const prompt = seq.tokens.subarray(seq.T, seq.T + seq.answerStart[1] + 1);
    const answer = seq.targets.subarray(seq.T + seq.answerStart[1], seq.T + seq.answerStart[1] + seq.answerLength[1]);
    const alone = packSequences(n, [{ prompt, answer }]);
    const acts = createActivations(m, 1, n);
    forward(m, acts, alone);
    expect(Array.from(acts.logits)).toEqual(Array.from(full.subarray(seq.T * V, seq.T * V + n * V)));
  });
});

function logitsOf(m: ReturnType<typeof createTransformer>, seq: TokenSequences): Float32Array | Float64Array {
  const acts = createActivations(m, seq.B, seq.T);
  forward(m, acts, seq);
  return acts.logits;
}
