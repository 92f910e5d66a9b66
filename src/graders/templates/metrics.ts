/**
 * Text similarity metrics, all in [0, 1]. Pure functions, tested against hand
 * computations. Lengths count Unicode code points, not UTF-16 units, so "😀"
 * is one character as a student would count it.
 */
import { distance } from 'fastest-levenshtein';

const ASTRAL = /[\uD800-\uDFFF]/;

/**
 * fastest-levenshtein compares UTF-16 units; an emoji is two of them. When a
 * string has astral characters, each distinct code point is renamed to one BMP
 * private-use unit first, which keeps distances in code points.
 */
function bmpPair(a: string, b: string): [string, string] {
  if (!ASTRAL.test(a) && !ASTRAL.test(b)) return [a, b];
  const names = new Map<string, string>();
  const rename = (s: string) =>
    Array.from(s, (ch) => {
      let n = names.get(ch);
      if (n === undefined) {
        // Private-use area first (0xE000..0xF8FF), then the rest of the BMP above it; a toy vocabulary never gets close.
        n = String.fromCharCode(0xe000 + names.size);
        names.set(ch, n);
      }
      return n;
    }).join('');
  return [rename(a), rename(b)];
}

/** 1 − Levenshtein distance / longer length; two empty strings are identical (1). */
export function fuzzyMatch(a: string, b: string): number {
  const [x, y] = bmpPair(a, b);
  const longer = Math.max(x.length, y.length);
  return longer === 0 ? 1 : 1 - distance(x, y) / longer;
}

export type Tokenization = 'words' | 'chars';

/**
 * ROUGE tokens as in Google's rouge_score: lower-cased runs of letters/digits
 * (Unicode-aware here, where rouge_score drops non-ASCII). "chars" suits the
 * playground's character-level answers ("321" has one word but three chars).
 */
export function rougeTokens(text: string, mode: Tokenization): string[] {
  if (mode === 'chars') return Array.from(text.toLowerCase()).filter((c) => !/\s/u.test(c));
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** BLEU tokens: words and single punctuation marks (close to sacrebleu's 13a), case kept. */
export function bleuTokens(text: string, mode: Tokenization): string[] {
  if (mode === 'chars') return Array.from(text).filter((c) => !/\s/u.test(c));
  return text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Matches clipped by the reference's counts (a repeated word only counts as often as the reference has it). */
function clippedOverlap(candidate: Map<string, number>, reference: Map<string, number>): number {
  let overlap = 0;
  for (const [key, c] of candidate) overlap += Math.min(c, reference.get(key) ?? 0);
  return overlap;
}

function f1(overlap: number, candidateCount: number, referenceCount: number): number {
  // As rouge_score: precision and recall over max(count, 1), F = 0 when both are 0.
  const p = overlap / Math.max(candidateCount, 1);
  const r = overlap / Math.max(referenceCount, 1);
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

/** ROUGE-N F-measure (rouge_1 … rouge_5). */
export function rougeN(candidate: string, reference: string, n: number, mode: Tokenization = 'words'): number {
  const c = ngramCounts(rougeTokens(candidate, mode), n);
  const r = ngramCounts(rougeTokens(reference, mode), n);
  let cTotal = 0;
  let rTotal = 0;
  for (const v of c.values()) cTotal += v;
  for (const v of r.values()) rTotal += v;
  return f1(clippedOverlap(c, r), cTotal, rTotal);
}

/** ROUGE-L F-measure: longest common subsequence of tokens. */
export function rougeL(candidate: string, reference: string, mode: Tokenization = 'words'): number {
  const a = rougeTokens(candidate, mode);
  const b = rougeTokens(reference, mode);
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    [prev, cur] = [cur, prev];
  }
  return f1(prev[b.length], a.length, b.length);
}

/**
 * Sentence BLEU-4 as sacrebleu computes it (score / 100): clipped n-gram
 * precisions, "exp" smoothing for orders with no match, effective order for
 * short answers, and the brevity penalty. An empty answer scores 0.
 */
export function bleu(candidate: string, reference: string, mode: Tokenization = 'words', maxOrder = 4): number {
  const c = bleuTokens(candidate, mode);
  const r = bleuTokens(reference, mode);
  if (c.length === 0) return 0;
  let logSum = 0;
  let order = 0;
  let smooth = 1;
  for (let n = 1; n <= maxOrder; n++) {
    const total = c.length - n + 1;
    if (total <= 0) break; // effective order: a 2-token answer is judged on 1- and 2-grams
    order = n;
    const correct = clippedOverlap(ngramCounts(c, n), ngramCounts(r, n));
    let precision: number;
    if (correct === 0) {
      smooth *= 2;
      precision = 1 / (smooth * total);
    } else {
      precision = correct / total;
    }
    logSum += Math.log(precision);
  }
  const brevity = c.length >= r.length ? 1 : Math.exp(1 - r.length / c.length);
  return brevity * Math.exp(logSum / order);
}
