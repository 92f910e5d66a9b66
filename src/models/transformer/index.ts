/**
 * The transformer policy's CPU reference, for the seam (src/engine/policies/)
 * to wrap: a registry entry would map
 * - `visits` / `logProb` / `entropy` / `klToReference` → `packSequences` + `forward` (+ the reference's `forward`) and `visitStats`;
 * - `addUpstream` → `Upstream.dLogProb`; `addEntropyUpstream` → `addEntropyGradient` into `Upstream.dLogits`;
 * - `backward` → `backward` into the flat gradient (same layout as the parameters);
 * - `sample` → `decode` with the same (seed, stream, step, sample, position) key as the tables;
 * - the read-outs → `nextTokenDistribution`, `sequenceLogProb`, `greedyAnswer`.
 */
export { transformerConfig, TransformerConfigError, TRANSFORMER_DEFAULTS, TRANSFORMER_LIMITS, type Positions, type TransformerConfig, type TransformerConfigInput } from './config.ts';
export { TransformerVocabulary } from './vocab.ts';
export { initParams, paramLayout, paramViews, PARAM_TENSORS, type Floats, type ParamLayout, type ParamName, type Precision } from './params.ts';
export {
  addEntropyGradient,
  addKlGradient,
  backward,
  createActivationGrads,
  createActivations,
  createGradients,
  createTransformer,
  forward,
  logProbAt,
  packSequences,
  visitStats,
  type Activations,
  type TokenSequences,
  type Transformer,
  type Upstream,
  type VisitStats,
} from './model.ts';
export { decode, greedyAnswer, nextTokenDistribution, sequenceLogProb, sequenceLogProbs, type Answers, type DecodeOptions } from './sampling.ts';
export { pretrain, type Example, type PretrainOptions } from './pretrain.ts';
