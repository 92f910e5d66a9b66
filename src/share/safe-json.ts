/**
 * Inspection of JSON that came from outside (a link someone sent, a storage
 * entry another tab wrote): keys that would reach an object's prototype,
 * strings that look like markup or script, nesting deep enough to exhaust the
 * stack, and code that must not run without the user's consent.
 *
 * Nothing here evaluates or renders anything; it only reads and reports.
 */

/**
 * Keys that, copied with `obj[key] = v` or a spread, would replace or reach a
 * prototype. JSON.parse makes them own properties, harmless until copied, so
 * they are refused before any copy.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Grader types whose `source` is a program (the page runs JS in a sandboxed worker; python is refused later by the grader module). */
export const CODE_GRADER_TYPES: ReadonlySet<string> = new Set(['js', 'javascript', 'python']);

/** Grader specs nest (multi graders hold graders); deeper than this is not a grader anyone wrote. */
export const MAX_DEPTH = 12;
/** Longest ordinary string (templates, references, names); code has its own limit through the overall size. */
export const MAX_STRING = 4000;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** "a string", "an array", "null": for messages. */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/**
 * A value as JSON for a message, cut at 60 characters. Messages are shown as
 * text, never as HTML; a value that looks like markup is still not echoed, so
 * a hostile link cannot put its payload on screen even as text.
 */
export function showValue(v: unknown): string {
  if (v === undefined) return 'missing';
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  if (hostileStringReason(text)) return '(a value with markup)';
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

// Tags, URL schemes that run code, and inline event handlers: what an HTML injection needs.
const MARKUP_PATTERNS: readonly [RegExp, string][] = [
  // "a<b" stays legal (comparison tasks); "<b>", "<img src", "</" and "<!--" do not.
  [/<\s*(?:!|\/|[a-z][a-z0-9-]*[\s/>])/i, 'an HTML tag'],
  [/(?:java|vb)script\s*:/i, 'a script URL'],
  [/data\s*:\s*text\/html/i, 'an HTML data URL'],
  [/\bon[a-z]{3,}\s*=/i, 'an inline event handler'],
];
/** Bidirectional overrides and isolates reorder how text reads without changing what it is ("Trojan Source"). */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Why a string is refused in a shared value, or null when it is plain text. */
export function hostileStringReason(s: string): string | null {
  for (const [pattern, what] of MARKUP_PATTERNS) if (pattern.test(s)) return `contains ${what}; shared values may not carry markup or script`;
  if (BIDI_CONTROLS.test(s)) return 'contains invisible bidirectional control characters';
  if (CONTROL_CHARS.test(s)) return 'contains control characters';
  return null;
}

/** What the user should know about code before agreeing to run it. */
export function codeWarnings(code: string): string[] {
  const warnings: string[] = [];
  if (BIDI_CONTROLS.test(code)) {
    warnings.push('contains invisible bidirectional control characters, which can make code read differently from how it runs');
  }
  if (CONTROL_CHARS.test(code)) warnings.push('contains invisible control characters');
  return warnings;
}

/** A program found inside a grader spec. */
export interface CodeField {
  /** Dotted path of the `source` field, e.g. "config.grader.source". */
  path: string;
  code: string;
}

export interface Inspection {
  /** First problem, as "config.grader.reference: contains an HTML tag; ...", or null. */
  problem: string | null;
  /** Every program inside the value; its text is exempt from the markup check because it is shown, never rendered. */
  code: CodeField[];
}

function isCodeObject(o: Record<string, unknown>): boolean {
  return (typeof o.type === 'string' && CODE_GRADER_TYPES.has(o.type)) || typeof o.source === 'string';
}

/**
 * Walks a free-form JSON value (a grader spec) and reports the first hostile
 * part. `strict` (values from a link) also refuses markup-like, invisible-
 * character and very long strings; values the user saved on this device are
 * their own text and only lose forbidden keys and absurd nesting.
 */
export function inspectJson(value: unknown, path: string, strict = true): Inspection {
  const code: CodeField[] = [];
  const problem = walk(value, path, 0, code, strict);
  return { problem, code };
}

function walk(v: unknown, path: string, depth: number, code: CodeField[], strict: boolean): string | null {
  if (depth > MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels`;
  if (typeof v === 'string') {
    if (!strict) return null;
    if (v.length > MAX_STRING) return `${path}: a string of ${v.length} characters is longer than the limit of ${MAX_STRING}`;
    const reason = hostileStringReason(v);
    return reason ? `${path}: ${reason}` : null;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? null : `${path}: must be a finite number`;
  if (v === null || typeof v === 'boolean') return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = walk(v[i], `${path}.${i}`, depth + 1, code, strict);
      if (p) return p;
    }
    return null;
  }
  if (!isPlainObject(v)) return `${path}: must be plain JSON, not ${describeType(v)}`;
  const codeObject = isCodeObject(v);
  for (const key of Object.keys(v)) {
    const child = `${path}.${key}`;
    if (FORBIDDEN_KEYS.has(key)) return `${child}: the key "${key}" is not allowed`;
    const keyReason = strict ? hostileStringReason(key) : null;
    if (keyReason) return `${path}: a key ${keyReason}`;
    if (codeObject && key === 'source') {
      if (typeof v.source !== 'string') return `${child}: must be a string (the grader's code), not ${describeType(v.source)}`;
      code.push({ path: child, code: v.source });
      continue;
    }
    const p = walk(v[key], child, depth + 1, code, strict);
    if (p) return p;
  }
  if (codeObject && typeof v.source !== 'string') return `${path}.source: is required (the grader's code as a string)`;
  return null;
}

/** A deep copy of checked JSON (plain objects and arrays only); forbidden keys were refused before this runs. */
export function cloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
