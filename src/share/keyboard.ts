/**
 * The page's keyboard shortcuts as a pure decision: given a key press and
 * where focus is, which action (or none). A shortcut must never take a key
 * from someone typing (a text field, the grader editor) or from a control
 * that uses the key itself (Space presses a focused button, arrows move a
 * slider or a tab list), so keyboard-only use of the controls keeps working.
 */

export type ShortcutAction = 'toggle-play' | 'step' | 'reset' | 'toggle-help' | 'close-help';

/** The parts of a KeyboardEvent and its target this decision reads (build one with `keyLikeFromEvent`). */
export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
  /** Held down: auto-repeat. */
  repeat?: boolean;
  /** Mid-composition in an input method (Japanese, Chinese...): the key belongs to the IME. */
  isComposing?: boolean;
  defaultPrevented?: boolean;
  target: TargetLike;
}

export interface TargetLike {
  /** Upper-case tag name, as the DOM reports it ("INPUT", "BUTTON", "DIV"). */
  tagName: string;
  isContentEditable?: boolean;
  /** The `type` of an INPUT, lower-case. */
  inputType?: string;
  /** The ARIA role, if set. */
  role?: string | null;
  /** Inside a CodeMirror editor (`.cm-editor`), whose content is contenteditable but may be read-only. */
  inEditor?: boolean;
}

export interface ShortcutContext {
  /** The help panel is open: Escape closes it. */
  helpOpen?: boolean;
}

/** INPUT types that take keys as text; others (checkbox, range...) are controls. */
const TEXT_INPUT_TYPES = new Set(['', 'text', 'search', 'email', 'url', 'tel', 'password', 'number', 'date', 'time', 'datetime-local', 'month', 'week']);
const TEXT_ROLES = new Set(['textbox', 'searchbox', 'combobox', 'spinbutton']);
/** Roles whose keyboard pattern (WAI-ARIA APG) uses the arrow keys. */
const ARROW_ROLES = new Set(['slider', 'tab', 'tablist', 'radio', 'radiogroup', 'menu', 'menubar', 'menuitem', 'menuitemradio', 'menuitemcheckbox', 'option', 'listbox', 'grid', 'gridcell', 'tree', 'treeitem', 'treegrid', 'scrollbar', 'toolbar']);
/** Roles and tags that Space activates. */
const SPACE_ROLES = new Set(['button', 'checkbox', 'switch', 'radio', 'tab', 'menuitem', 'menuitemradio', 'menuitemcheckbox', 'option', 'link', 'treeitem']);
const SPACE_TAGS = new Set(['BUTTON', 'A', 'SUMMARY', 'INPUT', 'SELECT', 'TEXTAREA', 'OPTION', 'VIDEO', 'AUDIO']);

/** True when keys go into text: fields, text areas, selects (type-ahead), editors, contenteditable. */
export function isTyping(t: TargetLike): boolean {
  const tag = t.tagName.toUpperCase();
  if (t.inEditor || t.isContentEditable) return true;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT' && TEXT_INPUT_TYPES.has((t.inputType ?? '').toLowerCase())) return true;
  return TEXT_ROLES.has(t.role ?? '');
}

function usesArrows(t: TargetLike): boolean {
  const tag = t.tagName.toUpperCase();
  return tag === 'INPUT' || tag === 'VIDEO' || tag === 'AUDIO' || ARROW_ROLES.has(t.role ?? '');
}

function usesSpace(t: TargetLike): boolean {
  return SPACE_TAGS.has(t.tagName.toUpperCase()) || SPACE_ROLES.has(t.role ?? '');
}

/** The action for a key press, or null to let the browser and the focused control have it. */
export function shortcutFor(e: KeyLike, context: ShortcutContext = {}): ShortcutAction | null {
  if (e.defaultPrevented || e.isComposing) return null;
  // Ctrl/Cmd/Alt combinations belong to the browser and the OS (Ctrl+R reloads).
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (context.helpOpen && e.key === 'Escape') return 'close-help';
  if (isTyping(e.target)) return null;
  switch (e.key) {
    case ' ':
    case 'Spacebar': // Old Edge and IE spelling.
      // Holding Space would toggle on every repeat.
      return e.repeat || usesSpace(e.target) ? null : 'toggle-play';
    case 'ArrowRight':
    case 'Right':
      // Holding → steps repeatedly, on purpose.
      return usesArrows(e.target) ? null : 'step';
    case 'r':
    case 'R':
      return e.repeat ? null : 'reset';
    case '?':
      return e.repeat ? null : 'toggle-help';
    default:
      return null;
  }
}

/** The element-like parts `keyLikeFromEvent` reads (an Element satisfies it). */
interface ElementLike {
  tagName: string;
  isContentEditable?: boolean;
  type?: unknown;
  getAttribute?(name: string): string | null;
  closest?(selector: string): unknown;
}

/**
 * Reads what `shortcutFor` needs from a real event; call it inside the
 * listener (it touches the DOM then, never at import). Duck-typed rather than
 * `instanceof Element`, which is false for elements of another frame.
 */
export function keyLikeFromEvent(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey' | 'repeat' | 'isComposing' | 'defaultPrevented' | 'target'>): KeyLike {
  const t = e.target as Partial<ElementLike> | null;
  const el = t && typeof t.tagName === 'string' ? (t as ElementLike) : null;
  return {
    key: e.key,
    ctrlKey: e.ctrlKey,
    metaKey: e.metaKey,
    altKey: e.altKey,
    shiftKey: e.shiftKey,
    repeat: e.repeat,
    isComposing: e.isComposing,
    defaultPrevented: e.defaultPrevented,
    target: {
      // Keys with no focused element land on <body> (or the document, which has no tag).
      tagName: el ? el.tagName.toUpperCase() : 'BODY',
      isContentEditable: el?.isContentEditable === true,
      inputType: el && el.tagName.toUpperCase() === 'INPUT' && typeof el.type === 'string' ? el.type.toLowerCase() : undefined,
      role: el?.getAttribute?.('role') ?? null,
      inEditor: el?.closest ? el.closest('.cm-editor') != null : false,
    },
  };
}

export interface ShortcutHelp {
  action: Exclude<ShortcutAction, 'close-help'>;
  /** Keys as shown on the keycaps. */
  keys: string[];
  /** For `aria-keyshortcuts` on the matching button (WAI-ARIA key names). */
  aria: string;
  description: string;
}

export const SHORTCUTS: readonly ShortcutHelp[] = [
  { action: 'toggle-play', keys: ['Space'], aria: 'Space', description: 'Play or pause training' },
  { action: 'step', keys: ['→'], aria: 'ArrowRight', description: 'Take one training step (hold to keep stepping)' },
  { action: 'reset', keys: ['R'], aria: 'R', description: 'Reset the policies to their starting point' },
  { action: 'toggle-help', keys: ['?'], aria: 'Shift+?', description: 'Show or hide this list' },
];

/** Shown under the list: when shortcuts stay quiet. */
export const SHORTCUT_NOTE =
  'Shortcuts do nothing while you type in a field or the grader editor. Space on a focused button presses that button. Esc closes this list. Tab moves between controls.';

/** The help panel as plain text lines, e.g. for a <pre> or a screen-reader description. */
export function shortcutHelpText(): string {
  const width = Math.max(...SHORTCUTS.map((s) => s.keys.join(' / ').length));
  const lines = SHORTCUTS.map((s) => `${s.keys.join(' / ').padEnd(width)}  ${s.description}`);
  return ['Keyboard shortcuts', '', ...lines, '', SHORTCUT_NOTE].join('\n');
}
