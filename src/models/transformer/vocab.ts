/**
 * Tokens of the transformer policy. The answer tokens come first and keep the
 * engine's ids (EOS = 0, alphabet[i] = i + 1, as src/engine/task.ts), so the
 * model's output head covers exactly them; then the separator; then every
 * character that appears only in prompts. No pad token: batches are padded on
 * the right and causal attention never lets a later (pad) position reach an
 * earlier one, so padding is never read (see `TokenSequences.lengths`).
 */
import { EOS } from '../../engine/task.ts';

export { EOS };

export class TransformerVocabulary {
  /** Tokens the model writes: EOS + the answer alphabet. */
  readonly vocabOut: number;
  /** Tokens the model reads: the above, the separator, prompt-only characters. */
  readonly vocabIn: number;
  /** Ends the prompt; the position of the separator predicts the answer's first token. */
  readonly SEP: number;
  private readonly index = new Map<string, number>();
  private readonly chars: string[];

  constructor(alphabet: readonly string[], promptTexts: Iterable<string>) {
    this.chars = [...alphabet];
    alphabet.forEach((ch, i) => this.index.set(ch, i + 1));
    this.vocabOut = alphabet.length + 1;
    this.SEP = this.vocabOut;
    for (const text of promptTexts) {
      for (const ch of text) {
        if (this.index.has(ch)) continue;
        this.index.set(ch, this.SEP + 1 + this.chars.length - alphabet.length);
        this.chars.push(ch);
      }
    }
    this.vocabIn = this.SEP + 1 + (this.chars.length - alphabet.length);
  }

  /** The prompt's tokens followed by the separator. */
  encodePrompt(prompt: string): Int32Array {
    const chars = Array.from(prompt);
    const out = new Int32Array(chars.length + 1);
    chars.forEach((ch, i) => {
      const t = this.index.get(ch);
      if (t === undefined) throw new Error(`prompt "${prompt}" has "${ch}", which is not in the transformer's vocabulary`);
      out[i] = t;
    });
    out[chars.length] = this.SEP;
    return out;
  }

  /** An answer's tokens, EOS appended (the engine's encoding, checked against the written vocabulary). */
  encodeAnswer(answer: string, maxLen: number): Int32Array {
    const chars = Array.from(answer);
    if (chars.length + 1 > maxLen) throw new Error(`answer "${answer}" needs ${chars.length + 1} tokens (with EOS) but max_len is ${maxLen}`);
    const out = new Int32Array(chars.length + 1);
    chars.forEach((ch, i) => {
      const t = this.index.get(ch);
      if (t === undefined || t >= this.vocabOut) throw new Error(`answer "${answer}" has "${ch}", which is not in the task's answer vocabulary`);
      out[i] = t;
    });
    out[chars.length] = EOS;
    return out;
  }

  /** Text of an answer: the characters before EOS. */
  decodeAnswer(tokens: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i] === EOS) break;
      s += this.label(tokens[i]);
    }
    return s;
  }

  label(token: number): string {
    if (token === EOS) return '⏎';
    if (token === this.SEP) return '│';
    return token < this.SEP ? this.chars[token - 1] : this.chars[token - 2];
  }
}
