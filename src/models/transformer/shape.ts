/**
 * Between the engine's policy shape (src/engine/policies/types.ts, NetShape)
 * and the model's own config: the shape carries what the parameters mean (the
 * sizes and every prompt's tokens), so a backend built from a state alone can
 * run the model.
 */
import type { NetShape, PolicyShape } from '../../engine/policies/types.ts';
import { transformerConfig, type TransformerConfig } from './config.ts';
import { TransformerVocabulary } from './vocab.ts';

export function transformerConfigOf(shape: PolicyShape): TransformerConfig {
  const net = shape.net;
  if (!net) throw new Error('a transformer policy shape carries its network (shape.net)');
  return transformerConfig({ vocabIn: net.vocabIn, vocabOut: shape.vocab, context: net.context, layers: net.layers, dModel: net.dModel, heads: net.heads, dMlp: net.dMlp, positions: net.positions });
}

export interface NetOptions {
  layers: number;
  dModel: number;
  heads: number;
  dMlp: number | null;
  positions: 'learned' | 'rotary';
}

/** What the model reads of a task: the prompts it trains and is evaluated on, then its pretraining corpus. */
export interface NetTask {
  alphabet: readonly string[];
  items: readonly { prompt: string }[];
  pretrainCorpus?: readonly { prompt: string }[];
}

/** The vocabulary of a task's transformer: answer tokens, the separator, then every prompt-only character (items, then corpus). */
export function taskVocabulary(task: NetTask): TransformerVocabulary {
  return new TransformerVocabulary(task.alphabet, [...task.items.map((i) => i.prompt), ...(task.pretrainCorpus ?? []).map((c) => c.prompt)]);
}

/** The network for a task: vocabulary from its alphabet and prompts, context from its longest prompt and max_len. Throws TransformerConfigError naming the field. */
export function netShape(task: NetTask, maxLen: number, opts: NetOptions): { net: NetShape; vocab: TransformerVocabulary } {
  const vocab = taskVocabulary(task);
  const encoded = task.items.map((i) => Array.from(vocab.encodePrompt(i.prompt)));
  const corpusLongest = (task.pretrainCorpus ?? []).reduce((m, c) => Math.max(m, Array.from(c.prompt).length + 1), 1);
  const longest = encoded.reduce((m, p) => Math.max(m, p.length), corpusLongest);
  const context = longest + maxLen - 1;
  const cfg = transformerConfig({ vocabIn: vocab.vocabIn, vocabOut: vocab.vocabOut, context, layers: opts.layers, dModel: opts.dModel, heads: opts.heads, dMlp: opts.dMlp ?? undefined, positions: opts.positions });
  return {
    net: { layers: cfg.layers, dModel: cfg.dModel, heads: cfg.heads, dMlp: cfg.dMlp, positions: cfg.positions, vocabIn: cfg.vocabIn, context: cfg.context, prompts: encoded },
    vocab,
  };
}
