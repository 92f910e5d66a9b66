/**
 * What a task gives the engine: prompts (as grader items), a character
 * vocabulary, demonstrations (SFT), preference pairs (DPO) and a default
 * grader (RFT). Token 0 is EOS; the answer characters follow in `alphabet` order.
 */

export const EOS = 0;

/** The row a grader sees (OpenAI's `item`): the prompt, its reference answer and any extra fields. */
export interface TaskItem {
  prompt: string;
  reference?: string;
  [field: string]: unknown;
}

/** A demonstration: the answer an SFT teacher shows for prompt `prompt` (an index into items). */
export interface Demo {
  prompt: number;
  answer: string;
}

/** A preference pair for DPO. */
export interface Pair {
  prompt: number;
  chosen: string;
  rejected: string;
}

/** A grader configuration (template, OpenAI grader JSON, or custom JS); interpreted by src/graders. */
export type GraderSpec = { type: string; [key: string]: unknown };

export interface Task {
  id: string;
  title: string;
  /** A few sentences for students: what the task is and what a good answer looks like. */
  description: string;
  /** Every character an answer may contain (token id = index + 1). */
  alphabet: string[];
  /** Longest answer in tokens, EOS included. */
  maxLen: number;
  items: TaskItem[];
  demos: Demo[];
  pairs: Pair[];
  grader: GraderSpec;
  /** Graders scored beside the training grader and logged as rewards/<name>. */
  evalGraders?: Record<string, GraderSpec>;
  /** Warm-start corpus for policy.init "base": plausible answers (right and wrong) per prompt. */
  base?: Demo[];
  /**
   * items[0, trainPrompts) are the prompts lanes train on; items[trainPrompts, …) are held out: never
   * sampled for training, never in demos or pairs, only evaluated (eval_reward). Absent = all train.
   */
  trainPrompts?: number;
  /** Per held-out prompt (index − trainPrompts): the wrong answers noisy demonstrations would give (the copy-rate metric). */
  heldOutWrong?: string[][];
  /** Prompts in neither set, with correct answers: the transformer's pretraining corpus for its base model. */
  pretrainCorpus?: { prompt: string; answer: string }[];
  /** Documented RFT result with the task's defaults (checked by tests). */
  target?: { reward: number; steps: number; config?: Record<string, unknown> };
}

/** Options every task builder understands (the config's task knobs). */
export interface TaskOptions {
  seed: number;
  numPrompts: number | null;
  demoErrorRate: number;
  preferenceNoise: number;
  /** Held-out prompts (null = the task's default for its scale). */
  evalPrompts?: number | null;
  evalSplit?: 'random' | 'longest';
  /** "neural": the task's larger pool for the transformer, where held-out prompts mean something. */
  scale?: 'table' | 'neural';
}

/** The prompts lanes train on (items before this index). */
export function trainPromptCount(task: Pick<Task, 'items' | 'trainPrompts'>): number {
  return task.trainPrompts ?? task.items.length;
}

export const MAX_VOCAB = 64;

export class Vocabulary {
  readonly size: number;
  private readonly index = new Map<string, number>();

  constructor(readonly alphabet: readonly string[]) {
    alphabet.forEach((ch, i) => this.index.set(ch, i + 1));
    this.size = alphabet.length + 1;
  }

  tokenOf(ch: string): number | undefined {
    return this.index.get(ch);
  }

  /** Name of a token for display: the character, or "⏎" for EOS. */
  label(token: number): string {
    return token === EOS ? '⏎' : this.alphabet[token - 1];
  }

  /**
   * Writes the answer's tokens and EOS into `out` at `offset`; returns the token count (EOS included).
   * Throws a readable error when a character is outside the vocabulary or the answer is too long.
   */
  encodeInto(answer: string, maxLen: number, out: Int32Array, offset: number): number {
    const chars = Array.from(answer);
    if (chars.length + 1 > maxLen) {
      throw new Error(`answer "${answer}" needs ${chars.length + 1} tokens (with EOS) but max_len is ${maxLen}`);
    }
    for (let i = 0; i < chars.length; i++) {
      const t = this.index.get(chars[i]);
      if (t === undefined) throw new Error(`answer "${answer}" has "${chars[i]}", which is not in the task's vocabulary`);
      out[offset + i] = t;
    }
    out[offset + chars.length] = EOS;
    return chars.length + 1;
  }

  /** Text of a sampled answer: the characters before EOS. */
  decode(tokens: Int32Array | Uint32Array, offset: number, length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) {
      const t = tokens[offset + i];
      if (t === EOS) break;
      s += this.alphabet[t - 1];
    }
    return s;
  }
}

/** Characters used by a set of strings, in first-seen order (for custom tasks). */
export function alphabetOf(texts: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const t of texts) for (const ch of t) seen.add(ch);
  return [...seen];
}
