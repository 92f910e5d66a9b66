/** Splitting a JSONL file into parsed lines, within the playground's size limits. */
import { MAX_JSON_DEPTH, nestsDeeperThan } from './depth.ts';
import { DataError, type DataIssue } from './errors.ts';

/** A file's name (for messages) and its text. */
export interface NamedText {
  name: string;
  text: string;
}

/**
 * The playground trains a table with one row per prompt, so real fine-tuning sized files make no sense here;
 * the limits keep a mistaken drop (a 1 GB dump) from freezing the page.
 */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
export const MAX_LINES = 20_000;

export interface JsonLine {
  /** 1-based line number in the file. */
  line: number;
  value: unknown;
}

export function utf8Length(text: string): number {
  // A string has at most as many UTF-16 units as UTF-8 bytes, so a long string is rejected without encoding it.
  if (text.length > MAX_FILE_BYTES) return text.length;
  return new TextEncoder().encode(text).length;
}

/**
 * One JSON value per non-blank line. Blank lines (e.g. the trailing newline) are not data and are skipped.
 * Whole-file problems (too large, empty, too many lines) throw; lines that are not valid JSON are returned as
 * issues so the caller can list them together with its own per-line problems. `format` names what a line
 * should look like.
 */
export function splitJsonl(file: NamedText, format: string): { lines: JsonLine[]; issues: DataIssue[] } {
  const bytes = utf8Length(file.text);
  if (bytes > MAX_FILE_BYTES) {
    throw DataError.single(file.name, null, `file is too large (${formatBytes(bytes)}; the playground accepts at most ${formatBytes(MAX_FILE_BYTES)} per file)`);
  }
  const text = file.text.startsWith('\uFEFF') ? file.text.slice(1) : file.text;
  const lines: JsonLine[] = [];
  const issues: DataIssue[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      issues.push({ file: file.name, line: i + 1, message: `not valid JSON (${(e as Error).message}); expected one ${format} object per line` });
      return;
    }
    if (nestsDeeperThan(value)) {
      issues.push({ file: file.name, line: i + 1, message: `nested more than ${MAX_JSON_DEPTH} levels deep; expected one ${format} object per line` });
      return;
    }
    lines.push({ line: i + 1, value });
  });
  const count = lines.length + issues.length;
  if (count === 0) throw DataError.single(file.name, null, `file is empty; expected one ${format} object per line`);
  if (count > MAX_LINES) {
    throw DataError.single(file.name, null, `file has ${count} lines; the playground accepts at most ${MAX_LINES} per file`);
  }
  return { lines, issues };
}

/** Like splitJsonl, but any invalid line refuses the file at once. */
export function parseJsonl(file: NamedText, format: string): JsonLine[] {
  const { lines, issues } = splitJsonl(file, format);
  if (issues.length > 0) throw new DataError(issues);
  return lines;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}
