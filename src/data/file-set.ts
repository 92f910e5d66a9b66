/**
 * The set of files a custom task is built from, as the page holds it while the user drops files in.
 * Adding a file validates it first and returns a new set: a bad file throws a DataError and the set the
 * caller already has is untouched, so nothing loaded is ever lost.
 */
import type { TaskFileTexts } from './custom-task.ts';
import { detectKind, readRecords, type DataKind } from './formats.ts';
import type { NamedText } from './jsonl.ts';

export interface AddedFile {
  files: TaskFileTexts;
  kind: DataKind;
  /** Lines read (all of them: a file with any bad line is refused). */
  lines: number;
  /** The file of the same kind this one replaced, if any. */
  replaced: NamedText | null;
}

export function withTaskFile(files: TaskFileTexts, file: NamedText, kind: DataKind | 'auto' = 'auto'): AddedFile {
  const resolved = kind === 'auto' ? detectKind(file) : kind;
  const lines = readRecords(resolved, file).length;
  return { files: { ...files, [resolved]: file }, kind: resolved, lines, replaced: files[resolved] ?? null };
}

export function withoutTaskFile(files: TaskFileTexts, kind: DataKind): TaskFileTexts {
  const { [kind]: _removed, ...rest } = files;
  return rest;
}
