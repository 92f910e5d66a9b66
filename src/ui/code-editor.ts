/**
 * The CodeMirror 6 editor for custom JavaScript graders. Loaded with a
 * dynamic import only when a custom grader is chosen, so CodeMirror is its own
 * chunk and the first render does not pay for it.
 *
 * Built from @codemirror/view, state, commands and lint only. @codemirror/language
 * (with @lezer/common, a grammar and the highlighter) would add a quarter to the
 * chunk, and the page has a JS budget; a grader is a few lines, so a few regular
 * expressions colour it well enough, Enter keeps the line's indentation, and
 * syntax errors come from the browser's own parser in the worker.
 */
import {
  cursorCharLeft, cursorCharRight, cursorDocEnd, cursorDocStart, cursorGroupLeft, cursorGroupRight, cursorLineBoundaryBackward,
  cursorLineBoundaryForward, cursorLineDown, cursorLineUp, cursorPageDown, cursorPageUp, history, historyKeymap, selectAll, selectCharLeft, selectCharRight, selectDocEnd,
  selectDocStart, selectGroupLeft, selectGroupRight, selectLineBoundaryBackward, selectLineBoundaryForward, selectLineDown,
  selectLineUp, selectPageDown, selectPageUp,
} from '@codemirror/commands';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorSelection, EditorState, type StateCommand } from '@codemirror/state';
import {
  type Command, Decoration, drawSelection, EditorView, highlightActiveLine, type KeyBinding, keymap, lineNumbers, MatchDecorator, tooltips,
  ViewPlugin, type DecorationSet, type ViewUpdate,
} from '@codemirror/view';

/** Enter: a new line with the current line's indentation, one level more after an opening bracket. */
const newlineKeepingIndent: StateCommand = ({ state, dispatch }) => {
  const change = state.changeByRange((range) => {
    const line = state.doc.lineAt(range.from);
    const before = line.text.slice(0, range.from - line.from);
    const indent = /^\s*/.exec(line.text)![0] + (/[{([]\s*$/.test(before) ? '  ' : '');
    const insert = `\n${indent}`;
    return { changes: { from: range.from, to: range.to, insert }, range: EditorSelection.cursor(range.from + insert.length) };
  });
  dispatch(state.update(change, { scrollIntoView: true, userEvent: 'input' }));
  return true;
};

/**
 * Backspace / Delete by character (a whole grapheme cluster) or by word. CodeMirror's
 * own deleteChar* also remove an indent unit at once, and for that pull in
 * @codemirror/language: a sixth of the chunk for one nicety.
 */
function deleteBy(forward: boolean, by: 'char' | 'group'): Command {
  return (view) => {
    const change = view.state.changeByRange((range) => {
      if (!range.empty) return { changes: range, range: EditorSelection.cursor(range.from) };
      const target = by === 'char' ? view.moveByChar(range, forward) : view.moveByGroup(range, forward);
      const from = Math.min(range.head, target.head);
      const to = Math.max(range.head, target.head);
      return { changes: { from, to }, range: EditorSelection.cursor(from) };
    });
    if (change.changes.empty) return false;
    view.dispatch(view.state.update(change, { scrollIntoView: true, userEvent: forward ? 'delete.forward' : 'delete.backward' }));
    return true;
  };
}

/**
 * CodeMirror's standard keymap (arrows, words, line ends, pages, document ends,
 * deletion, select all) with the indenting Enter above. Tab is left to move focus,
 * so keyboard users are never trapped in the editor.
 */
const editingKeymap: KeyBinding[] = [
  { key: 'ArrowLeft', run: cursorCharLeft, shift: selectCharLeft, preventDefault: true },
  { key: 'Mod-ArrowLeft', mac: 'Alt-ArrowLeft', run: cursorGroupLeft, shift: selectGroupLeft, preventDefault: true },
  { key: 'ArrowRight', run: cursorCharRight, shift: selectCharRight, preventDefault: true },
  { key: 'Mod-ArrowRight', mac: 'Alt-ArrowRight', run: cursorGroupRight, shift: selectGroupRight, preventDefault: true },
  { mac: 'Cmd-ArrowLeft', run: cursorLineBoundaryBackward, shift: selectLineBoundaryBackward, preventDefault: true },
  { mac: 'Cmd-ArrowRight', run: cursorLineBoundaryForward, shift: selectLineBoundaryForward, preventDefault: true },
  { key: 'ArrowUp', run: cursorLineUp, shift: selectLineUp, preventDefault: true },
  { key: 'ArrowDown', run: cursorLineDown, shift: selectLineDown, preventDefault: true },
  { mac: 'Cmd-ArrowUp', run: cursorDocStart, shift: selectDocStart },
  { mac: 'Cmd-ArrowDown', run: cursorDocEnd, shift: selectDocEnd },
  { key: 'PageUp', run: cursorPageUp, shift: selectPageUp },
  { key: 'PageDown', run: cursorPageDown, shift: selectPageDown },
  { key: 'Home', run: cursorLineBoundaryBackward, shift: selectLineBoundaryBackward, preventDefault: true },
  { key: 'End', run: cursorLineBoundaryForward, shift: selectLineBoundaryForward, preventDefault: true },
  { key: 'Mod-Home', run: cursorDocStart, shift: selectDocStart },
  { key: 'Mod-End', run: cursorDocEnd, shift: selectDocEnd },
  { key: 'Enter', run: newlineKeepingIndent, shift: newlineKeepingIndent },
  { key: 'Mod-a', run: selectAll },
  { key: 'Backspace', run: deleteBy(false, 'char'), shift: deleteBy(false, 'char'), preventDefault: true },
  { key: 'Delete', run: deleteBy(true, 'char'), preventDefault: true },
  { key: 'Mod-Backspace', mac: 'Alt-Backspace', run: deleteBy(false, 'group'), preventDefault: true },
  { key: 'Mod-Delete', mac: 'Alt-Delete', run: deleteBy(true, 'group'), preventDefault: true },
];

/** Token classes, in the order the pattern's groups appear. */
const TOKEN_CLASSES = ['cm-js-comment', 'cm-js-string', 'cm-js-number', 'cm-js-keyword'] as const;
const tokenMarks = TOKEN_CLASSES.map((cls) => Decoration.mark({ class: cls }));

/**
 * One line at a time: comments, strings (an unterminated one runs to the line's
 * end), numbers, keywords. A block comment over several lines is coloured only
 * where it opens and closes on one line; the error markers come from a real parser.
 */
const TOKENS = new RegExp(
  [
    String.raw`(\/\/.*|\/\*.*?(?:\*\/|$))`,
    String.raw`("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|\`(?:[^\`\\]|\\.)*\`?)`,
    String.raw`(\b(?:0[xob][\da-f_]+|\d[\d_]*(?:\.\d*)?(?:e[+-]?\d+)?)n?\b)`,
    String.raw`(\b(?:async|await|break|case|catch|class|const|continue|default|delete|do|else|false|finally|for|function|if|in|instanceof|let|new|null|of|return|switch|this|throw|true|try|typeof|undefined|var|void|while|yield)\b)`,
  ].join('|'),
  'gi',
);

const tokenDecorator = new MatchDecorator({
  regexp: TOKENS,
  decoration: (m) => tokenMarks[m.slice(1).findIndex((g) => g !== undefined)] ?? null,
});

const highlightTokens = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = tokenDecorator.createDeco(view);
    }
    update(u: ViewUpdate) {
      this.decorations = tokenDecorator.updateDeco(u, this.decorations);
    }
  },
  { decorations: (v) => v.decorations },
);

/** Colours from the page's theme variables (global.css), so the dark theme gets its own. */
const tokenTheme = EditorView.baseTheme({
  '.cm-js-comment': { color: 'var(--code-comment)', fontStyle: 'italic' },
  '.cm-js-string': { color: 'var(--code-string)' },
  '.cm-js-number': { color: 'var(--code-number)' },
  '.cm-js-keyword': { color: 'var(--code-keyword)' },
  // CodeMirror's own active-line tint is light-theme only; a translucent accent suits both.
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'rgba(0, 114, 178, 0.1)' },
});

export interface SourceProblem {
  message: string;
  /** 1-based; the whole first line is marked when unknown. */
  line?: number;
  column?: number;
}

export interface CodeEditor {
  setProblems(problems: SourceProblem[]): void;
  destroy(): void;
}

export function createCodeEditor(parent: HTMLElement, doc: string, label: string, onChange: (source: string) => void): CodeEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        highlightTokens,
        tokenTheme,
        lintGutter(),
        // Error tooltips live on <body>: the grader panel clips its contents (CSS containment).
        tooltips({ parent: document.body }),
        keymap.of([...editingKeymap, ...historyKeymap]),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange(u.state.doc.toString());
        }),
      ],
    }),
  });

  return {
    setProblems(problems) {
      const doc = view.state.doc;
      const diagnostics: Diagnostic[] = problems.map((p) => {
        const line = doc.line(Math.min(Math.max(1, p.line ?? 1), doc.lines));
        let from = p.column !== undefined ? Math.min(line.from + Math.max(0, p.column - 1), line.to) : line.from;
        // Mark at least one character so the marker is visible, even for "unexpected end of input".
        if (from === doc.length && from > 0) from--;
        const to = Math.min(p.column !== undefined ? from + 1 : Math.max(line.to, from + 1), doc.length);
        return { from, to: Math.max(to, from), severity: 'error', message: p.message };
      });
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    destroy() {
      view.destroy();
    },
  };
}
