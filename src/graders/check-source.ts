/**
 * Checks a custom grader's source without running it: syntax (with acorn, so the
 * browser reports line and column too — V8's own SyntaxError from eval has none)
 * and the presence of a top-level `grade`. Used by createGrader before training
 * starts and by the editor's linter on every keystroke.
 */
import { parse, type Node, type Program } from 'acorn';

export interface SourceProblem {
  message: string;
  /** 1-based line and column of the problem. */
  line: number;
  column: number;
  /** Offsets into the source, for editor diagnostics. */
  from: number;
  to: number;
}

interface Declares extends Node {
  id?: { type: string; name?: string } | null;
  declarations?: { id: { type: string; name?: string } }[];
}

function declaresGrade(program: Program): boolean {
  return program.body.some((statement) => {
    const s = statement as Declares;
    if (s.type === 'FunctionDeclaration') return s.id?.name === 'grade';
    if (s.type === 'VariableDeclaration') return (s.declarations ?? []).some((d) => d.id.type === 'Identifier' && d.id.name === 'grade');
    return false;
  });
}

/** Problems in a grader's source; empty when it parses and defines `grade`. */
export function checkSource(source: string): SourceProblem[] {
  let program: Program;
  try {
    program = parse(source, { ecmaVersion: 'latest', sourceType: 'script', locations: true, allowReturnOutsideFunction: false });
  } catch (e) {
    const err = e as SyntaxError & { pos?: number; loc?: { line: number; column: number } };
    const pos = err.pos ?? 0;
    // acorn appends "(line:column)" to its message; the fields carry it already.
    const message = err.message.replace(/\s*\(\d+:\d+\)$/, '');
    return [{ message: `SyntaxError: ${message}`, line: err.loc?.line ?? 1, column: (err.loc?.column ?? 0) + 1, from: pos, to: Math.min(source.length, pos + 1) }];
  }
  if (!declaresGrade(program)) {
    return [{ message: 'the grader must define a function named grade, e.g. function grade(sample, item) { return 1; }', line: 1, column: 1, from: 0, to: 0 }];
  }
  return [];
}

/** One line for a problem: "line 3, column 12: SyntaxError: Unexpected token". */
export function formatProblem(p: SourceProblem): string {
  return `line ${p.line}, column ${p.column}: ${p.message}`;
}
