/**
 * The CodeMirror 6 editor for custom JavaScript graders. Loaded with a
 * dynamic import only when a custom grader is chosen, so CodeMirror is its own
 * chunk and the first render does not pay for it. JavaScript is highlighted
 * with the small legacy stream mode rather than the full Lezer grammar (a
 * third of the chunk): a grader is a few lines, and errors come from acorn in
 * the worker, not from the editor's parser.
 */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { javascript } from '@codemirror/legacy-modes/mode/javascript';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers, tooltips } from '@codemirror/view';

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
        bracketMatching(),
        syntaxHighlighting(defaultHighlightStyle),
        StreamLanguage.define(javascript),
        lintGutter(),
        // Error tooltips live on <body>: the grader panel clips its contents (CSS containment).
        tooltips({ parent: document.body }),
        keymap.of([...defaultKeymap, ...historyKeymap]),
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
