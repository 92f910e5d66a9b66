import { describe, expect, it } from 'vitest';
import { isTyping, keyLikeFromEvent, shortcutFor, shortcutHelpText, SHORTCUTS, type KeyLike, type TargetLike } from '../../src/share/keyboard.ts';

const body: TargetLike = { tagName: 'BODY' };
const press = (key: string, target: TargetLike = body, extra: Partial<KeyLike> = {}): KeyLike => ({ key, target, ...extra });

describe('shortcuts on the page itself', () => {
  it.each([
    [' ', 'toggle-play'],
    ['Spacebar', 'toggle-play'],
    ['ArrowRight', 'step'],
    ['Right', 'step'],
    ['r', 'reset'],
    ['R', 'reset'],
    ['?', 'toggle-help'],
    ['ArrowLeft', null],
    ['Enter', null],
    ['x', null],
    ['Escape', null],
  ])('%j → %s', (key, action) => {
    expect(shortcutFor(press(key))).toBe(action);
    expect(shortcutFor(press(key, { tagName: 'DIV' }))).toBe(action);
    expect(shortcutFor(press(key, { tagName: 'CANVAS', role: 'img' }))).toBe(action);
  });

  it('"?" typed with Shift (as on most layouts) still opens help; Shift+R still resets', () => {
    expect(shortcutFor(press('?', body, { shiftKey: true }))).toBe('toggle-help');
    expect(shortcutFor(press('R', body, { shiftKey: true }))).toBe('reset');
  });

  it('Escape closes the help panel only while it is open, even from a field', () => {
    expect(shortcutFor(press('Escape'), { helpOpen: true })).toBe('close-help');
    expect(shortcutFor(press('Escape', { tagName: 'INPUT', inputType: 'text' }), { helpOpen: true })).toBe('close-help');
    expect(shortcutFor(press('Escape'), { helpOpen: false })).toBeNull();
  });
});

describe('never while typing', () => {
  const typingTargets: [string, TargetLike][] = [
    ['text input', { tagName: 'INPUT', inputType: 'text' }],
    ['input without type', { tagName: 'INPUT' }],
    ['number input', { tagName: 'INPUT', inputType: 'number' }],
    ['search input', { tagName: 'input', inputType: 'SEARCH' }],
    ['textarea', { tagName: 'TEXTAREA' }],
    ['select (type-ahead)', { tagName: 'SELECT' }],
    ['contenteditable', { tagName: 'DIV', isContentEditable: true }],
    ['CodeMirror editor', { tagName: 'DIV', inEditor: true }],
    ['read-only CodeMirror (not contenteditable)', { tagName: 'DIV', inEditor: true, isContentEditable: false }],
    ['role=textbox', { tagName: 'DIV', role: 'textbox' }],
    ['role=combobox', { tagName: 'DIV', role: 'combobox' }],
  ];
  it.each(typingTargets)('%s takes every key', (_name, target) => {
    expect(isTyping(target)).toBe(true);
    for (const key of [' ', 'ArrowRight', 'r', 'R', '?']) expect(shortcutFor(press(key, target))).toBeNull();
  });
});

describe('keys a focused control uses itself', () => {
  it('Space presses a focused button, checkbox, link or summary instead of toggling play', () => {
    for (const target of [
      { tagName: 'BUTTON' },
      { tagName: 'A' },
      { tagName: 'SUMMARY' },
      { tagName: 'INPUT', inputType: 'checkbox' },
      { tagName: 'INPUT', inputType: 'radio' },
      { tagName: 'DIV', role: 'button' },
      { tagName: 'DIV', role: 'switch' },
      { tagName: 'LI', role: 'tab' },
    ]) {
      expect(shortcutFor(press(' ', target)), target.tagName + (target.role ?? '')).toBeNull();
    }
  });

  it('→ moves a slider, radio group or tab list instead of stepping', () => {
    for (const target of [
      { tagName: 'INPUT', inputType: 'range' },
      { tagName: 'INPUT', inputType: 'radio' },
      { tagName: 'DIV', role: 'slider' },
      { tagName: 'BUTTON', role: 'tab' },
      { tagName: 'DIV', role: 'listbox' },
      { tagName: 'DIV', role: 'menuitem' },
    ]) {
      expect(shortcutFor(press('ArrowRight', target))).toBeNull();
    }
  });

  it('on a focused button, → steps and R resets (buttons do not use those keys)', () => {
    const button = { tagName: 'BUTTON' };
    expect(shortcutFor(press('ArrowRight', button))).toBe('step');
    expect(shortcutFor(press('r', button))).toBe('reset');
    expect(shortcutFor(press('?', button))).toBe('toggle-help');
    expect(shortcutFor(press('r', { tagName: 'INPUT', inputType: 'checkbox' }))).toBe('reset');
  });
});

describe('what else stays with the browser', () => {
  it('Ctrl, Cmd and Alt combinations (Ctrl+R reloads)', () => {
    for (const mod of ['ctrlKey', 'metaKey', 'altKey'] as const) {
      for (const key of [' ', 'ArrowRight', 'r', '?']) expect(shortcutFor(press(key, body, { [mod]: true }))).toBeNull();
    }
  });

  it('keys an input method is composing, and events already handled', () => {
    expect(shortcutFor(press(' ', body, { isComposing: true }))).toBeNull();
    expect(shortcutFor(press('r', body, { defaultPrevented: true }))).toBeNull();
  });

  it('auto-repeat: holding → keeps stepping; holding Space, R or ? does not flicker', () => {
    expect(shortcutFor(press('ArrowRight', body, { repeat: true }))).toBe('step');
    expect(shortcutFor(press(' ', body, { repeat: true }))).toBeNull();
    expect(shortcutFor(press('r', body, { repeat: true }))).toBeNull();
    expect(shortcutFor(press('?', body, { repeat: true }))).toBeNull();
  });
});

describe('help panel', () => {
  it('lists every shortcut action the decision can return, with keys and ARIA names', () => {
    expect(SHORTCUTS.map((s) => s.action).sort()).toEqual(['reset', 'step', 'toggle-help', 'toggle-play']);
    expect(SHORTCUTS.map((s) => s.aria)).toEqual(['Space', 'ArrowRight', 'R', 'Shift+?']);
  });

  it('is plain text with one line per shortcut and the rule about typing', () => {
    const text = shortcutHelpText();
    const lines = text.split('\n');
    expect(lines[0]).toBe('Keyboard shortcuts');
    expect(lines).toContain('Space  Play or pause training');
    expect(lines).toContain('→      Take one training step (hold to keep stepping)');
    expect(lines).toContain('R      Reset the policies to their starting point');
    expect(lines).toContain('?      Show or hide this list');
    expect(text).toMatch(/do nothing while you type in a field or the grader editor/);
    expect(text).not.toMatch(/[<>]/);
  });
});

describe('reading a real event', () => {
  /** Just enough of an element: what a browser element answers to these reads. */
  const element = (tagName: string, opts: { type?: string; role?: string; editable?: boolean; inEditor?: boolean } = {}) => ({
    tagName,
    type: opts.type,
    isContentEditable: opts.editable ?? false,
    getAttribute: (name: string) => (name === 'role' ? (opts.role ?? null) : null),
    closest: (selector: string) => (selector === '.cm-editor' && opts.inEditor ? {} : null),
  });
  const event = (key: string, target: unknown, extra: Partial<KeyboardEvent> = {}) =>
    ({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, repeat: false, isComposing: false, defaultPrevented: false, target, ...extra }) as KeyboardEvent;

  it('reads tag, input type, role, contenteditable and the CodeMirror ancestor', () => {
    expect(keyLikeFromEvent(event('r', element('input', { type: 'Range' }))).target).toEqual({
      tagName: 'INPUT',
      isContentEditable: false,
      inputType: 'range',
      role: null,
      inEditor: false,
    });
    expect(keyLikeFromEvent(event(' ', element('DIV', { role: 'slider' }))).target.role).toBe('slider');
    // A <select> also has a `type` ("select-one"); only INPUT types count.
    expect(keyLikeFromEvent(event(' ', element('SELECT', { type: 'select-one' }))).target.inputType).toBeUndefined();
  });

  it('end to end: typing in CodeMirror is left alone, the page body gets the shortcut', () => {
    const inCodeMirror = element('DIV', { editable: true, inEditor: true });
    expect(shortcutFor(keyLikeFromEvent(event('r', inCodeMirror)))).toBeNull();
    expect(shortcutFor(keyLikeFromEvent(event('r', element('BODY'))))).toBe('reset');
    // A key with the document itself as target (no element focused).
    expect(shortcutFor(keyLikeFromEvent(event(' ', {})))).toBe('toggle-play');
    expect(shortcutFor(keyLikeFromEvent(event(' ', null)))).toBe('toggle-play');
    expect(shortcutFor(keyLikeFromEvent(event('ArrowRight', element('BODY'), { ctrlKey: true })))).toBeNull();
  });
});
