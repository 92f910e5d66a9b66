/**
 * Reading a config file for the command-line tools (train, export): checked
 * before it is read (a folder, a device such as /dev/zero, a huge file), a
 * UTF-8 byte-order mark allowed, JSON nested no deeper than data ever is.
 * Every problem is one line naming the file.
 */
import { readFileSync, statSync } from 'node:fs';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../data/depth.ts';

/** A mistake in what the user gave us: reported in one line, exit code 2, no stack trace. */
export class UsageError extends Error {}

/** A config is a few hundred bytes; a file far larger than this is not one (and /dev/zero never ends). */
const MAX_CONFIG_BYTES = 1024 * 1024;

const ERRNO_WORDS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a folder', ENOTDIR: 'a part of the path is not a folder' };

/**
 * A text file the user named (`what` it should be), checked before it is read:
 * a folder, a device or a file over `maxBytes` is refused without loading it,
 * saying `limit` (what the size should be).
 */
export function readUserFile(path: string, flag: string, what: string, maxBytes: number, limit: string): string {
  try {
    const info = statSync(path);
    if (!info.isFile()) throw new UsageError(`${flag} ${path} is ${info.isDirectory() ? 'a folder' : 'not a regular file'}; expected ${what}`);
    if (info.size > maxBytes) throw new UsageError(`${flag} ${path} is too large (${info.size} bytes; ${limit})`);
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`cannot read ${flag} ${path}: ${ERRNO_WORDS[code] ?? (code || (e as Error).message)}`);
  }
}

export function readConfigFile(path: string): unknown {
  let text = readUserFile(path, 'config file', 'a JSON file', MAX_CONFIG_BYTES, `a config is at most ${MAX_CONFIG_BYTES} bytes`);
  // Editors on Windows save UTF-8 with a byte-order mark; JSONL files already accept one.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (nestsDeeperThan(value)) throw new UsageError(`config file ${path} nests more than ${MAX_JSON_DEPTH} levels deep; a config is a few levels of fields`);
  return value;
}

