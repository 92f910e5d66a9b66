/**
 * Node only (the headless trainer): reads the files a config's `task` object names, relative to the
 * config file's folder. The engine never touches the disk; it gets the texts from here.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TaskFiles } from '../engine/config.ts';
import type { TaskFileTexts } from './custom-task.ts';
import { DataError } from './errors.ts';
import type { DataKind } from './formats.ts';
import { MAX_FILE_BYTES } from './jsonl.ts';

const FIELDS: Record<DataKind, 'sft_file' | 'dpo_file' | 'rft_file'> = { sft: 'sft_file', dpo: 'dpo_file', rft: 'rft_file' };

export async function loadTaskFiles(configTask: TaskFiles, baseDir: string): Promise<TaskFileTexts> {
  const out: TaskFileTexts = {};
  for (const kind of Object.keys(FIELDS) as DataKind[]) {
    const path = configTask[FIELDS[kind]];
    if (path === undefined) continue;
    const full = resolve(baseDir, path);
    let text: string;
    try {
      // Checked before reading so a huge file is refused without loading it.
      const info = await stat(full);
      const { size } = info;
      // A device, a pipe or a folder has no honest size to check (/dev/zero never ends).
      if (!info.isFile()) throw DataError.single(path, null, `config.task.${FIELDS[kind]}: ${full} is ${info.isDirectory() ? 'a folder' : 'not a regular file'}; expected a JSONL file`);
      if (size > MAX_FILE_BYTES) {
        throw DataError.single(path, null, `file is too large (${size} bytes; the playground accepts at most ${MAX_FILE_BYTES} per file)`);
      }
      text = await readFile(full, 'utf8');
    } catch (e) {
      if (e instanceof DataError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message;
      throw DataError.single(path, null, `config.task.${FIELDS[kind]}: cannot read ${full}: ${why}`);
    }
    out[kind] = { name: path, text };
  }
  return out;
}
