/**
 * The shape of the character-level transformer policy, and the checks that
 * turn a bad shape into a message naming the field and the limit (the config's
 * `policy.*` names, so a user can find what to change).
 *
 * The vocabulary has two sizes. The model reads `vocabIn` tokens (prompt
 * characters, the separator, answer characters, EOS) but only writes
 * `vocabOut` of them: the answer tokens, ids 0..vocabOut-1, EOS = 0, exactly
 * the engine's answer vocabulary (src/engine/task.ts `Vocabulary`). So a
 * sampled answer can never contain a prompt-only character or the separator,
 * and its token ids mean what they mean to the objectives and graders.
 */

import { POSITIONS } from '../../engine/enums.ts';

export { POSITIONS };
export type Positions = (typeof POSITIONS)[number];

export interface TransformerConfig {
  /** Tokens the model reads (embedding rows). */
  vocabIn: number;
  /** Tokens the model writes (output-head rows): the answer tokens 0..vocabOut-1, EOS = 0. */
  vocabOut: number;
  /** Positions in a context: longest prompt + separator + longest answer (EOS included) − 1. */
  context: number;
  layers: number;
  dModel: number;
  heads: number;
  dMlp: number;
  positions: Positions;
}

/**
 * Defaults. d_model 32 with 4 heads (head size 8): the feasibility sketch's
 * L2d32 learned every task on held-out prompts (../shared/neural-feasibility.md),
 * and 4 heads is the default.
 */
export const TRANSFORMER_DEFAULTS = { layers: 2, dModel: 32, heads: 4, positions: 'learned' as Positions };

/**
 * Sanity limits for a toy that trains in a browser tab. They bound memory
 * (attention keeps B × heads × context² probabilities per layer) more than
 * maths; the GPU side adds its own device limits (workgroup memory).
 */
export const TRANSFORMER_LIMITS = { layers: 12, dModel: 512, heads: 64, dMlp: 4096, context: 256, vocab: 256 };

export class TransformerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransformerConfigError';
  }
}

export interface TransformerConfigInput {
  vocabIn: number;
  vocabOut: number;
  context: number;
  layers?: number;
  dModel?: number;
  heads?: number;
  /** Defaults to 4 × dModel. */
  dMlp?: number;
  positions?: Positions;
}

function integerIn(field: string, value: number, min: number, max: number, why = ''): void {
  if (!Number.isInteger(value)) throw new TransformerConfigError(`${field} = ${value}: must be a whole number`);
  if (value < min || value > max) throw new TransformerConfigError(`${field} = ${value}: must be between ${min} and ${max}${why}`);
}

/** Fills the defaults and checks every field; throws a TransformerConfigError naming the field and the limit. */
export function transformerConfig(input: TransformerConfigInput): TransformerConfig {
  const layers = input.layers ?? TRANSFORMER_DEFAULTS.layers;
  const dModel = input.dModel ?? TRANSFORMER_DEFAULTS.dModel;
  const heads = input.heads ?? TRANSFORMER_DEFAULTS.heads;
  const dMlp = input.dMlp ?? 4 * dModel;
  const positions = input.positions ?? TRANSFORMER_DEFAULTS.positions;
  const L = TRANSFORMER_LIMITS;
  integerIn('config.policy.layers', layers, 1, L.layers);
  integerIn('config.policy.d_model', dModel, 1, L.dModel);
  integerIn('config.policy.heads', heads, 1, Math.min(L.heads, dModel), ' (at most policy.d_model: every head needs at least one channel)');
  if (dModel % heads !== 0) {
    throw new TransformerConfigError(
      `config.policy.d_model = ${dModel} is not divisible by policy.heads = ${heads}: each head gets d_model / heads channels (try d_model ${Math.ceil(dModel / heads) * heads})`,
    );
  }
  const headSize = dModel / heads;
  if (!(POSITIONS as readonly string[]).includes(positions)) throw new TransformerConfigError(`config.policy.positions = ${JSON.stringify(positions)}: must be "learned" or "rotary"`);
  if (positions === 'rotary' && headSize % 2 !== 0) {
    throw new TransformerConfigError(
      `config.policy.positions = "rotary" needs an even head size, but policy.d_model / policy.heads = ${dModel} / ${heads} = ${headSize} (rotary embeddings rotate channel pairs)`,
    );
  }
  integerIn('config.policy.d_mlp', dMlp, 1, L.dMlp);
  integerIn('vocabulary size (read)', input.vocabIn, 2, L.vocab);
  integerIn('vocabulary size (written)', input.vocabOut, 2, input.vocabIn, ' (the answer tokens are a part of the tokens the model reads)');
  integerIn('context (prompt + separator + answer)', input.context, 1, L.context, ': shorten the prompts or policy.max_len');
  return { vocabIn: input.vocabIn, vocabOut: input.vocabOut, context: input.context, layers, dModel, heads, dMlp, positions };
}

export function headSize(cfg: TransformerConfig): number {
  return cfg.dModel / cfg.heads;
}
