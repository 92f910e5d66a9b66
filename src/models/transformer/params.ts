/**
 * The parameters: one flat buffer, laid out as llm.c's ParameterTensors
 * (train_gpt2.c), each tensor holding all layers contiguously, layer-major.
 * The GPU kernels bind the same buffer with these offsets, the optimizer sees
 * only the flat buffer, and the gradient buffer has the same layout.
 *
 * Matrices are stored [out][in] (PyTorch's nn.Linear and llm.c's layout), so
 * row o of a weight is the o-th output's dot product with the input.
 *
 * The output head `lmheadw` is its own tensor, not tied to `wte`:
 * - the head writes only the answer tokens (vocabOut rows) while wte reads
 *   every token (vocabIn rows), so tying would tie a part of wte only;
 * - the feasibility sketch measured every result with an untied head;
 * - untied, each gradient has one producer (no second accumulation into wte
 *   from the head's backward, which on the GPU would need an extra pass);
 * - it costs vocabOut × d_model parameters: about 3% at d_model 32.
 */
import { drawNormal, Stream } from '../../engine/prng.ts';
import type { TransformerConfig } from './config.ts';

export type Floats = Float32Array | Float64Array;
/** f32 is what trains (and what the GPU runs); f64 is for finite-difference tests. */
export type Precision = 'f32' | 'f64';

export function allocFloats(precision: Precision, n: number): Floats {
  return precision === 'f32' ? new Float32Array(n) : new Float64Array(n);
}

export const PARAM_TENSORS = [
  'wte', // token embedding [vocabIn][C]
  'wpe', // position embedding [context][C] (learned positions only; empty for rotary)
  'ln1w', // [L][C]
  'ln1b', // [L][C]
  'qkvw', // [L][3C][C]: rows 0..C-1 make q, C..2C-1 k, 2C..3C-1 v
  'qkvb', // [L][3C]
  'attprojw', // [L][C][C]
  'attprojb', // [L][C]
  'ln2w', // [L][C]
  'ln2b', // [L][C]
  'fcw', // [L][d_mlp][C]
  'fcb', // [L][d_mlp]
  'fcprojw', // [L][C][d_mlp]
  'fcprojb', // [L][C]
  'lnfw', // [C]
  'lnfb', // [C]
  'lmheadw', // [vocabOut][C], no bias (as GPT-2)
] as const;
export type ParamName = (typeof PARAM_TENSORS)[number];

export interface TensorSpec {
  name: ParamName;
  offset: number;
  /** Entries in the whole tensor (all layers). */
  size: number;
  /** Entries per layer (the whole size for tensors outside the blocks). */
  perLayer: number;
  layered: boolean;
}

export interface ParamLayout {
  tensors: Record<ParamName, TensorSpec>;
  /** In PARAM_TENSORS order, for iterating. */
  list: TensorSpec[];
  count: number;
}

export function paramLayout(cfg: TransformerConfig): ParamLayout {
  const { vocabIn, vocabOut, context, layers: L, dModel: C, dMlp: M } = cfg;
  const sizes: Record<ParamName, [perLayer: number, layered: boolean]> = {
    wte: [vocabIn * C, false],
    wpe: [cfg.positions === 'learned' ? context * C : 0, false],
    ln1w: [C, true],
    ln1b: [C, true],
    qkvw: [3 * C * C, true],
    qkvb: [3 * C, true],
    attprojw: [C * C, true],
    attprojb: [C, true],
    ln2w: [C, true],
    ln2b: [C, true],
    fcw: [M * C, true],
    fcb: [M, true],
    fcprojw: [C * M, true],
    fcprojb: [C, true],
    lnfw: [C, false],
    lnfb: [C, false],
    lmheadw: [vocabOut * C, false],
  };
  let offset = 0;
  const list: TensorSpec[] = [];
  for (const name of PARAM_TENSORS) {
    const [perLayer, layered] = sizes[name];
    const size = layered ? perLayer * L : perLayer;
    list.push({ name, offset, size, perLayer, layered });
    offset += size;
  }
  const tensors = Object.fromEntries(list.map((t) => [t.name, t])) as Record<ParamName, TensorSpec>;
  return { tensors, list, count: offset };
}

/** Named views into a flat buffer (parameters or gradients), no copies. */
export type ParamViews<A extends Floats | Float64Array> = Record<ParamName, A>;

export function paramViews<A extends Float32Array | Float64Array>(buf: A, layout: ParamLayout): ParamViews<A> {
  if (buf.length !== layout.count) throw new Error(`parameter buffer has ${buf.length} entries, the layout needs ${layout.count}`);
  return Object.fromEntries(layout.list.map((t) => [t.name, buf.subarray(t.offset, t.offset + t.size)])) as ParamViews<A>;
}

/** GPT-2's initialisation std for weights (Radford et al. 2019; llm.c, nanoGPT). */
export const INIT_STD = 0.02;

/**
 * Deterministic initial parameters from the seed, GPT-2 style: weights and
 * embeddings N(0, 0.02²) (position embeddings 0.01, as GPT-2), the two
 * projections into the residual stream scaled by 1/√(2·layers) so the stream's
 * variance does not grow with depth, biases 0, LayerNorm gains 1.
 *
 * Each entry's draw is keyed by its flat index (seed, Stream.init, step 1,
 * index): a pure function of the seed, so the GPU or another process builds
 * the same buffer, and changing one tensor's size moves no other draw within
 * a tensor (step 1 keeps these draws apart from the tables' init noise, step 0).
 */
export function initParams(cfg: TransformerConfig, seed: number, precision: Precision = 'f32'): Floats {
  const layout = paramLayout(cfg);
  const params = allocFloats(precision, layout.count);
  const residualStd = INIT_STD / Math.sqrt(2 * cfg.layers);
  const std: Record<ParamName, number | 'one' | 'zero'> = {
    wte: INIT_STD,
    wpe: INIT_STD / 2,
    ln1w: 'one',
    ln1b: 'zero',
    qkvw: INIT_STD,
    qkvb: 'zero',
    attprojw: residualStd,
    attprojb: 'zero',
    ln2w: 'one',
    ln2b: 'zero',
    fcw: INIT_STD,
    fcb: 'zero',
    fcprojw: residualStd,
    fcprojb: 'zero',
    lnfw: 'one',
    lnfb: 'zero',
    lmheadw: INIT_STD,
  };
  for (const t of layout.list) {
    const s = std[t.name];
    if (s === 'zero') continue;
    if (s === 'one') {
      params.fill(1, t.offset, t.offset + t.size);
      continue;
    }
    for (let i = t.offset; i < t.offset + t.size; i++) params[i] = s * drawNormal(seed, Stream.init, 1, i, 0);
  }
  return params;
}
