/**
 * The trainer's output files. A long run must not lose its work: metrics are
 * written as steps finish (flushed at least once a second, so `tail -f`
 * follows the run, and a Ctrl-C keeps every finished step), paths are checked
 * before step 1, and a write that fails (a full disk) stops the run with one
 * line instead of being swallowed.
 */
import { closeSync, fsyncSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** An output path that cannot be used, or a write that failed: one line naming the flag, the path and why. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

const WHY: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EFBIG: 'the file is too large for the file system',
  EIO: 'an input/output error',
};

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return WHY[code] ? `${WHY[code]} (${code})` : (e as Error).message.split('\n')[0];
}

/** Throws OutputError unless `path` can be created or overwritten as a file (checked without writing it). */
export function checkOutputPath(path: string, flag: string): void {
  const full = resolve(path);
  try {
    const info = statSync(full, { throwIfNoEntry: false });
    if (info?.isDirectory()) throw new OutputError(`${flag} ${path}: cannot write there: it is a folder`);
    if (!info) {
      const folder = statSync(dirname(full), { throwIfNoEntry: false });
      if (!folder) throw new OutputError(`${flag} ${path}: cannot write there: the folder ${dirname(full)} does not exist`);
      if (!folder.isDirectory()) throw new OutputError(`${flag} ${path}: cannot write there: ${dirname(full)} is not a folder`);
    }
  } catch (e) {
    if (e instanceof OutputError) throw e;
    throw new OutputError(`${flag} ${path}: cannot write there: ${why(e)}`);
  }
}

/** Writes a whole file at once (the policy dump), or throws OutputError. */
export function writeWholeFile(path: string, text: string, flag: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'w');
    writeAll(fd, text);
    closeSync(fd);
    fd = null;
  } catch (e) {
    throw new OutputError(`${flag} ${path}: cannot write: ${why(e)}`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Flush when this much is waiting, or when the last flush is this old. */
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 250;

/**
 * Lines to a file (or stdout when `path` is null). Buffered a little, because
 * a CPU run can finish thousands of steps a second, but never longer than
 * FLUSH_MS; every flush is a synchronous write, so what was flushed is on disk
 * (in the page cache) even if the process is killed right after.
 */
export class JsonlSink {
  private fd: number | null;
  private pending: string[] = [];
  /** Lines safely written (to the file, or to stdout). */
  written = 0;
  private pendingBytes = 0;
  private lastFlush = Date.now();
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** A failed flush from the timer, reported by the next write or close. */
  private failure: OutputError | null = null;

  constructor(private readonly path: string | null) {
    if (path === null) {
      this.fd = null;
      return;
    }
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new OutputError(`--out ${path}: cannot write there: ${why(e)}`);
    }
  }

  write(line: string): void {
    if (this.fd === null && this.path === null) {
      process.stdout.write(line);
      this.written++;
      return;
    }
    if (this.failure) throw this.failure;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_BYTES || Date.now() - this.lastFlush >= FLUSH_MS) this.flush();
    // A slow step (a GPU on a loaded machine) must not hold a finished line back.
    else this.timer ??= setTimeout(() => {
      this.timer = null;
      try {
        this.flush();
      } catch (e) {
        this.failure = e as OutputError;
      }
    }, FLUSH_MS).unref();
  }

  flush(): void {
    this.lastFlush = Date.now();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.fd === null || this.pending.length === 0) return;
    const text = this.pending.join('');
    const lines = this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      writeAll(this.fd, text);
      this.written += lines;
    } catch (e) {
      throw new OutputError(`--out ${this.path}: a write failed: ${why(e)}`);
    }
  }

  /** Flushes what is left and closes the file; a failure here is still reported. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failure) throw this.failure;
    this.flush();
    this.closed = true;
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      try {
        // Some devices (a full disk) report the failure only on sync or close.
        try {
          fsyncSync(fd);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'EINVAL' && code !== 'ENOTSUP') throw e;
        }
        closeSync(fd);
      } catch (e) {
        throw new OutputError(`--out ${this.path}: a write failed: ${why(e)}`);
      }
    }
  }

  /** After an error: release the file without further writes. */
  abandon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // Already failing; the first error is the one reported.
      }
      this.fd = null;
    }
    this.closed = true;
  }
}
