/**
 * Checks a custom grader's source without running it: syntax, located by the
 * JavaScript engine that will run it, and the presence of a `grade` declaration.
 * Used by createGrader before training starts and by the editor's linter.
 *
 * No parser library: the engine's own parser is exact and costs no bytes, it
 * only hides the position in different places.
 * - Node: `vm.Script` compiles without running; its SyntaxError's stack shows
 *   the line and a caret under the column. Synchronous.
 * - Browsers: V8's SyntaxError from eval / new Function carries no position,
 *   but a worker script's does (ErrorEvent lineno / colno). locateSourceProblems
 *   compiles the source as a throwaway worker whose first statement throws, so
 *   no user code runs. Asynchronous, so the synchronous check only knows
 *   *that* the source is broken, and the editor's path awaits the position.
 */

export interface SourceProblem {
  message: string;
  /** 1-based line and column of the problem; absent when the platform cannot tell. */
  line?: number;
  column?: number;
  /** Offsets into the source, for editor diagnostics (0, 0 when the position is unknown). */
  from: number;
  to: number;
}

/** Name the source is compiled under; Node's SyntaxError stack starts with it. */
const FILENAME = 'grader.js';

const MISSING_GRADE: SourceProblem = {
  message: 'the grader must define a function named grade, e.g. function grade(sample, item) { return 1; }',
  line: 1,
  column: 1,
  from: 0,
  to: 0,
};

/**
 * A declaration of `grade` anywhere in the text. Only a pre-check for a clear
 * early message: the sandbox, which runs the code, decides whether a top-level
 * `grade` function really exists.
 */
// One character class for the gap after "function" (spaces and the generator star): two optional runs
// side by side would backtrack quadratically on "function" followed by many spaces.
const DECLARES_GRADE = /\bfunction[\s*]*grade\s*\(|\b(?:var|let|const)\s+grade\b/;

/** A directive prologue that makes the whole script strict (comments may precede it). */
const USE_STRICT = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(['"])use strict\1/;

/** A problem at 1-based (line, column), with offsets for the editor. */
function at(source: string, message: string, line: number, column: number): SourceProblem {
  const lines = source.split('\n');
  const row = Math.min(Math.max(1, line), lines.length);
  let from = 0;
  for (let i = 0; i < row - 1; i++) from += lines[i].length + 1;
  from = Math.min(source.length, from + Math.max(0, column - 1));
  return { message, line: row, column, from, to: Math.min(source.length, from + 1) };
}

type ScriptCtor = new (code: string, options: { filename: string }) => unknown;

/** Node's vm.Script when running in Node (process.getBuiltinModule: Node ≥ 20.16), else null. */
function nodeScript(): ScriptCtor | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const vm = proc?.getBuiltinModule?.('node:vm') as { Script: ScriptCtor } | undefined;
  return vm?.Script ?? null;
}

/**
 * Node prints a SyntaxError's stack as "grader.js:LINE", the source line, then
 * spaces and carets under the offending token (no carets at end of input).
 */
function fromNodeStack(source: string, e: SyntaxError): SourceProblem {
  const stack = String(e.stack ?? '').split('\n');
  const line = Number(/^grader\.js:(\d+)$/.exec(stack[0] ?? '')?.[1] ?? 1);
  const caret = (stack[2] ?? '').indexOf('^');
  const column = caret >= 0 ? caret + 1 : (stack[1] ?? '').length + 1;
  return at(source, `SyntaxError: ${e.message}`, line, column);
}

/** Compiles `source` as a classic script without running it; the SyntaxError, or null. */
function syntaxErrorOf(source: string): SyntaxError | null {
  try {
    const Script = nodeScript();
    // new Function parses a function body: close to a script (a top-level `return` slips
    // through; locateSourceProblems and the sandbox's load both catch it).
    if (Script) new Script(source, { filename: FILENAME });
    else new Function(source);
    return null;
  } catch (e) {
    if (e instanceof SyntaxError) return e;
    // The parser recursed past the stack: brackets nested thousands deep. Not a grader anyone wrote by hand.
    if (e instanceof RangeError) return new SyntaxError('the source nests brackets or blocks too deeply to compile');
    throw e;
  }
}

/** Problems in a grader's source, now; empty when it parses and declares `grade`. */
export function checkSource(source: string): SourceProblem[] {
  const error = syntaxErrorOf(source);
  if (error) {
    if (nodeScript()) return [fromNodeStack(source, error)];
    return [{ message: `SyntaxError: ${error.message}`, from: 0, to: 0 }];
  }
  return DECLARES_GRADE.test(source) ? [] : [MISSING_GRADE];
}

/** How long the browser may take to compile a source in a worker before we settle for no position. */
const LOCATE_TIMEOUT_MS = 3000;

/** The browser's SyntaxError for `source` with its position, or null if none or it cannot tell. */
function locateInWorker(source: string): Promise<SourceProblem | null> {
  // The guard shares line 1 with the source, so line numbers do not move; a strict
  // source keeps its directive first so strict-mode errors are still found.
  const guard = `${USE_STRICT.test(source) ? '"use strict";' : ''}throw 0;`;
  let url: string;
  let worker: Worker;
  try {
    url = URL.createObjectURL(new Blob([guard + source], { type: 'text/javascript' }));
    worker = new Worker(url);
  } catch {
    return Promise.resolve(null); // e.g. a Content-Security-Policy without blob: workers
  }
  return new Promise((resolve) => {
    const finish = (problem: SourceProblem | null) => {
      clearTimeout(timer);
      worker.terminate();
      URL.revokeObjectURL(url);
      resolve(problem);
    };
    const timer = setTimeout(() => finish(null), LOCATE_TIMEOUT_MS);
    worker.onerror = (event) => {
      event.preventDefault();
      const message = event.message.replace(/^Uncaught /, '');
      if (!message.startsWith('SyntaxError') || !(event.lineno > 0)) return finish(null);
      const column = event.lineno === 1 ? event.colno - guard.length : event.colno;
      finish(at(source, message, event.lineno, Math.max(1, column)));
    };
  });
}

/**
 * Problems in a grader's source, with the syntax error's line and column on every
 * platform. In a browser the source is always compiled in a worker as well: it
 * locates the error, and it also catches what new Function lets through.
 */
export async function locateSourceProblems(source: string): Promise<SourceProblem[]> {
  const problems = checkSource(source);
  if (nodeScript() || typeof Worker === 'undefined' || typeof Blob === 'undefined') return problems;
  const located = await locateInWorker(source);
  return located ? [located] : problems;
}

/** One line for a problem: "line 3, column 12: SyntaxError: Unexpected token ';'". */
export function formatProblem(p: SourceProblem): string {
  return p.line === undefined ? p.message : `line ${p.line}, column ${p.column}: ${p.message}`;
}
