/**
 * Problems with imported data. An import is all or nothing: if any line is bad
 * the whole file is refused (nothing already loaded changes), and the error
 * lists every bad line so the student can fix them in one pass.
 */

export interface DataIssue {
  /** File name as the user gave it (path or dropped file name). */
  file: string;
  /** 1-based line number; null when the problem is the file as a whole (empty, too large, unreadable). */
  line: number | null;
  /** What was wrong and what was expected. */
  message: string;
}

/** Bad lines listed in a DataError beyond the first; the rest are only counted. */
const LISTED_ISSUES = 20;

export class DataError extends Error {
  readonly issues: readonly DataIssue[];

  constructor(issues: DataIssue[]) {
    super(describe(issues));
    this.name = 'DataError';
    this.issues = issues;
  }

  get file(): string {
    return this.issues[0].file;
  }

  get line(): number | null {
    return this.issues[0].line;
  }

  static single(file: string, line: number | null, message: string): DataError {
    return new DataError([{ file, line, message }]);
  }
}

export function where(issue: Pick<DataIssue, 'file' | 'line'>): string {
  return issue.line === null ? issue.file : `${issue.file} line ${issue.line}`;
}

function describe(issues: DataIssue[]): string {
  const first = issues[0];
  let text = `${where(first)}: ${first.message}`;
  if (issues.length > 1) {
    // Each other line once (a line can have several problems, e.g. two missing characters), the first's left out.
    const name = (i: DataIssue) => (i.line === null ? i.file : i.file === first.file ? String(i.line) : where(i));
    const others = [...new Set(issues.slice(1).map(name))].filter((l) => l !== name(first));
    const lines = others.slice(0, LISTED_ISSUES - 1);
    const more = others.length > lines.length ? `, and ${others.length - lines.length} more` : '';
    text += ` (${issues.length} problems in all${others.length ? `; also line ${lines.join(', ')}${more}` : ''})`;
  }
  return text + '. The import was refused; nothing already loaded was changed.';
}
