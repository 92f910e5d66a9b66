/**
 * A JavaScript regular expression (with the u flag, as the playground's regex
 * grader uses by default) rewritten for Python's `re` so that `re.search` gives
 * the same yes/no as `RegExp.test` on every string. The two dialects disagree on
 * \d \w \s \b, `.`, `$` and line terminators, so those are spelled out as explicit
 * sets; anything whose meaning this cannot pin down (back-references, lookbehind,
 * \p{…}, case-insensitive \w, flags other than i/m/s/u) is refused with the
 * reason, never approximated.
 */

export type RegexTranslation = { ok: true; pattern: string; ignoreCase: boolean } | { ok: false; reason: string };

const JS_SPACE_CLASS = '\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const LINE_TERMINATORS = '\\n\\r\\u2028\\u2029';
const WORD = 'A-Za-z0-9_';

/** A code point as a Python escape, safe both inside and outside a character set. */
function pyChar(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f) return String.fromCodePoint(cp);
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

class Refused extends Error {}

export function regexToPython(pattern: string, flags: string): RegexTranslation {
  if (!flags.includes('u')) return { ok: false, reason: 'without the u flag JavaScript matches UTF-16 units, which Python strings do not have; add "u" to flags' };
  if (/[^imsu]/.test(flags)) return { ok: false, reason: `flag "${flags.replace(/[imsu]/g, '')}" has no Python counterpart here` };
  const ignoreCase = flags.includes('i');
  const multiline = flags.includes('m');
  const dotAll = flags.includes('s');
  const cps = Array.from(pattern, (c) => c.codePointAt(0)!);
  let i = 0;
  const peek = () => (i < cps.length ? String.fromCodePoint(cps[i]) : '');
  const refuse = (why: string): never => {
    throw new Refused(why);
  };

  /** One escape after a backslash; `inClass` forbids the forms that only make sense outside a set. */
  function escape(inClass: boolean): { set?: string; negated?: string; char?: number; raw?: string } {
    const c = peek();
    i++;
    if (c === '') refuse('the pattern ends with a lone backslash');
    if (c === 'd') return { set: '0-9' };
    if (c === 'D') return { negated: '0-9' };
    if (c === 'w' || c === 'W') {
      // Under /iu, JavaScript's \w also matches ſ (U+017F) and K (U+212A); Python's does not.
      if (ignoreCase) refuse('\\w and \\W with the i flag match a different set in JavaScript (ſ, K) than in Python');
      return c === 'w' ? { set: WORD } : { negated: WORD };
    }
    if (c === 's') return { set: JS_SPACE_CLASS };
    if (c === 'S') return { negated: JS_SPACE_CLASS };
    if (c === 'b' || c === 'B') {
      if (inClass) return { char: 8 }; // [\b] is a backspace
      if (ignoreCase) refuse('\\b with the i flag uses JavaScript\'s case-folded word set, which Python does not');
      const boundary = `(?:(?<=[${WORD}])(?![${WORD}])|(?<![${WORD}])(?=[${WORD}]))`;
      return { raw: c === 'b' ? boundary : `(?!${boundary})` };
    }
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11 };
    if (c in simple) return { char: simple[c] };
    if (c === '0' && !/[0-9]/.test(peek())) return { char: 0 };
    if (/[1-9]/.test(c) || c === 'k') refuse('back-references match differently in JavaScript and Python (an unset group matches empty in JavaScript)');
    if (c === 'p' || c === 'P') refuse('\\p{…} Unicode properties are not in Python\'s re module');
    if (c === 'c') {
      const letter = peek();
      if (!/[A-Za-z]/.test(letter)) refuse('\\c must be followed by a letter');
      i++;
      return { char: letter.charCodeAt(0) % 32 };
    }
    if (c === 'x') {
      const hex = String.fromCodePoint(...cps.slice(i, i + 2));
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) refuse('\\x needs two hex digits');
      i += 2;
      return { char: parseInt(hex, 16) };
    }
    if (c === 'u') {
      if (peek() === '{') {
        const end = cps.indexOf(0x7d, i);
        const hex = String.fromCodePoint(...cps.slice(i + 1, end));
        if (end < 0 || !/^[0-9a-fA-F]{1,6}$/.test(hex)) refuse('\\u{…} needs hex digits');
        i = end + 1;
        return { char: parseInt(hex, 16) };
      }
      const hex = String.fromCodePoint(...cps.slice(i, i + 4));
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) refuse('\\u needs four hex digits');
      i += 4;
      const unit = parseInt(hex, 16);
      if (unit >= 0xd800 && unit <= 0xdfff) refuse('surrogate escapes (\\uD83D\\uDE00) name UTF-16 halves, which Python strings do not have; use \\u{1F600}');
      return { char: unit };
    }
    // With the u flag only syntax characters may be escaped: they stand for themselves.
    if ('^$\\.*+?()[]{}|/-'.includes(c)) return { char: c.codePointAt(0)! };
    return refuse(`the escape \\${c} is not one this translation knows`);
  }

  function characterClass(): string {
    let negate = false;
    if (peek() === '^') {
      negate = true;
      i++;
    }
    let body = '';
    const negatedParts: string[] = [];
    while (peek() !== ']') {
      if (peek() === '') refuse('a character set is not closed');
      let lo: number;
      if (peek() === '\\') {
        i++;
        const e = escape(true);
        if (e.set !== undefined) {
          body += e.set;
          continue;
        }
        if (e.negated !== undefined) {
          negatedParts.push(e.negated);
          continue;
        }
        lo = e.char!;
      } else {
        lo = cps[i++];
      }
      if (peek() === '-' && i + 1 < cps.length && cps[i + 1] !== 0x5d) {
        i++;
        let hi: number;
        if (peek() === '\\') {
          i++;
          const e = escape(true);
          if (e.char === undefined) refuse('a range in a character set cannot end in a class escape');
          hi = e.char!;
        } else {
          hi = cps[i++];
        }
        body += `${pyChar(lo)}-${pyChar(hi)}`;
      } else {
        body += pyChar(lo);
      }
    }
    i++; // ]
    if (negatedParts.length) {
      // [\D] and the like: Python has no set complement inside a set, so the union becomes an alternation.
      if (negate) refuse('a negated set containing \\D, \\W or \\S has no direct Python form');
      const parts = negatedParts.map((n) => `[^${n}]`);
      if (body) parts.unshift(`[${body}]`);
      return `(?:${parts.join('|')})`;
    }
    if (!body) return negate ? '[\\x00-\\U0010ffff]' : '(?!)'; // [^] matches anything, [] nothing
    return `[${negate ? '^' : ''}${body}]`;
  }

  let out = '';
  try {
    while (i < cps.length) {
      const c = peek();
      if (c === '\\') {
        i++;
        const e = escape(false);
        out += e.raw ?? (e.set !== undefined ? `[${e.set}]` : e.negated !== undefined ? `[^${e.negated}]` : pyChar(e.char!));
      } else if (c === '[') {
        i++;
        out += characterClass();
      } else if (c === '.') {
        i++;
        out += dotAll ? '[\\x00-\\U0010ffff]' : `[^${LINE_TERMINATORS}]`;
      } else if (c === '^') {
        i++;
        out += multiline ? `(?:(?<=[${LINE_TERMINATORS}])|\\A)` : '\\A';
      } else if (c === '$') {
        i++;
        out += multiline ? `(?=[${LINE_TERMINATORS}]|\\Z)` : '\\Z';
      } else if (c === '(') {
        i++;
        if (peek() === '?') {
          const next = String.fromCodePoint(cps[i + 1] ?? 0);
          if (next === ':' || next === '=' || next === '!') {
            out += `(?${next}`;
            i += 2;
          } else if (next === '<' && (cps[i + 2] === 0x3d || cps[i + 2] === 0x21)) {
            refuse('lookbehind must have a fixed width in Python, which JavaScript does not require');
          } else if (next === '<') {
            const end = cps.indexOf(0x3e, i);
            const name = String.fromCodePoint(...cps.slice(i + 2, end));
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) refuse(`the group name "${name}" is not a Python identifier`);
            out += `(?P<${name}>`;
            i = end + 1;
          } else {
            refuse(`the group "(?${next}" is not one this translation knows`);
          }
        } else {
          out += '(';
        }
      } else if (c === '{') {
        // A quantifier {n}, {n,} or {n,m} (the u flag makes a literal { a syntax error).
        const end = cps.indexOf(0x7d, i);
        const body = String.fromCodePoint(...cps.slice(i, end + 1));
        if (!/^\{\d+(,\d*)?\}$/.test(body)) refuse(`"${body}" is not a quantifier`);
        out += body;
        i = end + 1;
      } else if ('*+?)|'.includes(c)) {
        out += c;
        i++;
      } else {
        out += pyChar(cps[i++]);
      }
    }
  } catch (e) {
    if (e instanceof Refused) return { ok: false, reason: e.message };
    throw e;
  }
  return { ok: true, pattern: out, ignoreCase };
}
