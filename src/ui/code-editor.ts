/**
 * The editor for custom JavaScript graders: a plain <textarea> laid exactly over
 * a highlighted <pre> (the text area's own text is transparent, its caret and
 * selection are not). Loaded with a dynamic import only when a custom grader is
 * chosen.
 *
 * Why not a library: CodeMirror cost 84 kB gzipped of a 300 kB page budget for a
 * grader of a few lines, and contenteditable editors (CodeJar and kin) rewrite
 * their own DOM on every keystroke and bring their own undo. A text area keeps
 * what the browser already does well and what assistive technology knows:
 * a native textbox with a name, native selection, IME, spell-check off,
 * word deletion and undo/redo. Every edit this file makes goes through
 * `insertText`, so it lands in that same native undo history.
 *
 * The <pre> and the text area sit in one grid cell, and the <pre> (the real
 * text plus one line) sets the cell's size: the text area is always exactly as
 * big as its text, so the two never scroll apart and there is nothing to sync.
 */
import './code-editor.css';

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

const INDENT = '  ';

/** Token classes, in the order the pattern's groups appear; colours come from the theme (code-editor.css). */
const TOKEN_CLASSES = ['js-comment', 'js-string', 'js-number', 'js-keyword'] as const;

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

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A marked span of one line, in 0-based columns [from, to). */
interface LineMark {
  from: number;
  to: number;
}

/** One line as HTML: its tokens coloured and the marked columns underlined. */
export function highlightLine(text: string, marks: readonly LineMark[] = []): string {
  const tokens: { from: number; to: number; cls: string }[] = [];
  for (const m of text.matchAll(TOKENS)) {
    const group = m.slice(1).findIndex((g) => g !== undefined);
    if (m[0] && group >= 0) tokens.push({ from: m.index, to: m.index + m[0].length, cls: TOKEN_CLASSES[group] });
  }
  const cuts = [...new Set([0, text.length, ...tokens.flatMap((t) => [t.from, t.to]), ...marks.flatMap((m) => [m.from, m.to])])]
    .filter((c) => c >= 0 && c <= text.length)
    .sort((a, b) => a - b);
  let html = '';
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    const classes = [tokens.find((t) => t.from <= a && a < t.to)?.cls, marks.some((m) => m.from <= a && a < m.to) ? 'js-error' : undefined].filter(Boolean);
    const piece = escapeHtml(text.slice(a, b));
    html += classes.length ? `<span class="${classes.join(' ')}">${piece}</span>` : piece;
  }
  return html;
}

/** Where each problem is, clamped to the text (a line past the end is the last line). */
function placeProblems(lines: readonly string[], problems: readonly SourceProblem[]): Map<number, { marks: LineMark[]; messages: string[] }> {
  const byLine = new Map<number, { marks: LineMark[]; messages: string[] }>();
  for (const p of problems) {
    const index = Math.min(Math.max(1, p.line ?? 1), lines.length) - 1;
    const length = lines[index].length;
    let mark: LineMark;
    if (p.column === undefined) mark = { from: 0, to: length };
    else {
      // One character at the column; at the line's end ("unexpected end of input") the last one, so the marker shows.
      const from = Math.max(0, Math.min(p.column - 1, length - 1));
      mark = { from, to: Math.min(from + 1, length) };
    }
    const entry = byLine.get(index) ?? { marks: [], messages: [] };
    entry.marks.push(mark);
    entry.messages.push(p.message);
    byLine.set(index, entry);
  }
  return byLine;
}

const problemText = (p: SourceProblem) => `${p.line !== undefined ? `Line ${p.line}${p.column !== undefined ? `, column ${p.column}` : ''}: ` : ''}${p.message}`;

let nextId = 0;

export function createCodeEditor(parent: HTMLElement, doc: string, label: string, onChange: (source: string) => void): CodeEditor {
  const id = `code-editor-${++nextId}`;
  const root = document.createElement('div');
  root.className = 'code-editor';
  root.innerHTML = `<div class="code-editor-scroll">
  <div class="code-editor-gutter" aria-hidden="true"></div>
  <div class="code-editor-stack"><pre class="code-editor-highlight" aria-hidden="true"></pre><textarea rows="1" cols="1" wrap="off" spellcheck="false" autocapitalize="off" autocomplete="off" autocorrect="off" translate="no"></textarea></div>
</div>
<p class="code-editor-hint" id="${id}-hint">Tab indents, Shift+Tab outdents. To leave the editor by keyboard, press Escape, then Tab.</p>
<p class="visually-hidden" id="${id}-problems"></p>`;
  const gutter = root.querySelector<HTMLDivElement>('.code-editor-gutter')!;
  const highlight = root.querySelector<HTMLPreElement>('.code-editor-highlight')!;
  const area = root.querySelector<HTMLTextAreaElement>('textarea')!;
  const problemsNote = root.querySelector<HTMLParagraphElement>(`#${id}-problems`)!;
  area.value = doc;
  area.setAttribute('aria-label', label);
  area.setAttribute('aria-describedby', `${id}-problems ${id}-hint`);
  parent.append(root);

  let problems: SourceProblem[] = [];

  function render(): void {
    const lines = area.value.split('\n');
    const placed = placeProblems(lines, problems);
    let offset = 0;
    gutter.innerHTML = lines
      .map((text, i) => {
        const at = placed.get(i);
        const start = offset;
        offset += text.length + 1;
        if (!at) return `<div>${i + 1}</div>`;
        return `<div class="problem" data-at="${start + at.marks[0].from}" title="${escapeHtml(at.messages.join('\n')).replace(/"/g, '&quot;')}">${i + 1}</div>`;
      })
      .join('');
    // The message sits at the end of its line, behind the text area, where a reader's eye already is.
    highlight.innerHTML =
      lines
        .map((text, i) => {
          const at = placed.get(i);
          return at
            ? `<span data-line="${i}">${highlightLine(text, at.marks)}<span class="js-problem-note">  ⟵ ${escapeHtml(at.messages.join('; '))}</span></span>`
            : highlightLine(text);
        })
        .join('\n') + '\n';
  }

  /** Replaces [from, to) with text as one native edit (so Ctrl+Z undoes it), then selects [selStart, selEnd). */
  function replace(from: number, to: number, text: string, selStart: number, selEnd: number): void {
    area.setSelectionRange(from, to);
    if (from !== to || text) {
      const done = text ? document.execCommand('insertText', false, text) : document.execCommand('delete');
      if (!done) {
        // No execCommand on text areas (very old browsers): the edit still happens, without undo.
        area.setRangeText(text, from, to, 'end');
        area.dispatchEvent(new Event('input'));
      }
    }
    area.setSelectionRange(selStart, selEnd);
  }

  /** The start of the line holding `at`, and the end of the line holding `end`. */
  function lineBounds(at: number, end: number): [number, number] {
    const v = area.value;
    const from = v.lastIndexOf('\n', at - 1) + 1;
    const newline = v.indexOf('\n', end);
    return [from, newline < 0 ? v.length : newline];
  }

  function indent(): void {
    const { selectionStart: s, selectionEnd: e } = area;
    if (s === e) {
      replace(s, e, INDENT, s + INDENT.length, s + INDENT.length);
      return;
    }
    // A selection that ends at a line's start does not take that line along.
    const [from, to] = lineBounds(s, e > s && area.value[e - 1] === '\n' ? e - 1 : e);
    const lines = area.value.slice(from, to).split('\n');
    // A selection from a line's start keeps the whole lines selected, so Tab can be pressed again.
    replace(from, to, lines.map((l) => INDENT + l).join('\n'), s === from ? s : s + INDENT.length, e + INDENT.length * lines.length);
  }

  function outdent(): void {
    const { selectionStart: s, selectionEnd: e } = area;
    const [from, to] = lineBounds(s, e > s && area.value[e - 1] === '\n' ? e - 1 : e);
    const lines = area.value.slice(from, to).split('\n');
    // One level: up to two leading spaces, or one tab.
    const removed = lines.map((l) => (l.startsWith('\t') ? 1 : /^ {0,2}/.exec(l)![0].length));
    if (removed.every((r) => r === 0)) return;
    const out = lines.map((l, i) => l.slice(removed[i])).join('\n');
    // The caret moves left with its own line's text, never past the line's start.
    const newStart = Math.max(from, s - removed[0]);
    const newEnd = s === e ? newStart : Math.max(newStart, e - removed.reduce((a, b) => a + b, 0));
    replace(from, to, out, newStart, newEnd);
  }

  /** Enter: a new line with the current line's indentation, one level more after an opening bracket. */
  function newline(): void {
    const { selectionStart: s, selectionEnd: e } = area;
    const [from] = lineBounds(s, s);
    const before = area.value.slice(from, s);
    const insert = `\n${/^[ \t]*/.exec(before)![0]}${/[{([]\s*$/.test(before) ? INDENT : ''}`;
    replace(s, e, insert, s + insert.length, s + insert.length);
  }

  // Escape hands the next Tab back to the browser, so keyboard users can always leave.
  let tabReleased = false;
  function onKeydown(e: KeyboardEvent): void {
    if (e.isComposing) return;
    if (e.key === 'Escape') {
      tabReleased = true;
      return;
    }
    const plain = !e.ctrlKey && !e.altKey && !e.metaKey;
    if (e.key === 'Tab' && plain && !tabReleased) {
      e.preventDefault();
      if (e.shiftKey) outdent();
      else indent();
    } else if (e.key === 'Enter' && plain) {
      e.preventDefault();
      newline();
    }
    if (!['Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) tabReleased = false;
  }
  function onInput(): void {
    render();
    onChange(area.value);
  }
  function onBlur(): void {
    tabReleased = false;
  }
  // A click on a marked line number puts the caret at that problem (the keyboard way is the description's line and column).
  function onGutterClick(e: MouseEvent): void {
    const marked = (e.target as HTMLElement).closest<HTMLElement>('.problem');
    if (!marked?.dataset.at) return;
    const at = Number(marked.dataset.at);
    area.focus();
    area.setSelectionRange(at, at);
    // A selection set from code does not scroll the editor sideways by itself.
    const line = highlight.querySelector(`[data-line="${[...gutter.children].indexOf(marked)}"]`);
    (line?.querySelector('.js-error') ?? line)?.scrollIntoView({ block: 'nearest', inline: 'center' });
  }
  gutter.addEventListener('click', onGutterClick);
  area.addEventListener('keydown', onKeydown);
  area.addEventListener('input', onInput);
  area.addEventListener('blur', onBlur);
  render();

  return {
    setProblems(next) {
      problems = next;
      area.setAttribute('aria-invalid', String(next.length > 0));
      problemsNote.textContent = next.map(problemText).join('. ');
      render();
    },
    destroy() {
      area.removeEventListener('keydown', onKeydown);
      area.removeEventListener('input', onInput);
      area.removeEventListener('blur', onBlur);
      gutter.removeEventListener('click', onGutterClick);
      root.remove();
    },
  };
}
