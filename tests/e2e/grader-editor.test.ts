/**
 * End-to-end: the custom grader's code editor (src/ui/code-editor.ts) in the
 * production build, driven by keyboard as a person would: Tab and Shift+Tab
 * indent and outdent, Escape then Tab leaves, a syntax error is marked at its
 * line and column and described to screen readers, the two text layers stay
 * aligned, axe finds nothing serious in light or dark, and it fits 375 px and
 * 1920 px. Screenshots go to test-results/.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { builtPage, HAVE_CHROMIUM } from './browser.ts';
import type {} from '../../src/ui/debug-hook.ts';

const SHOTS = 'test-results';
const PANEL = 'section[aria-labelledby="grader-title"]';

describe.skipIf(!HAVE_CHROMIUM)('grader code editor', () => {
  const site = builtPage();

  /** A fresh profile with the custom JavaScript grader open in the editor. */
  async function openEditor(options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<{ page: Page; editor: Locator }> {
    const context = await site.newContext({ viewport: { width: options.width ?? 1400, height: options.height ?? 1000 }, colorScheme: options.colorScheme ?? 'light' });
    const page = await context.newPage();
    await page.goto(site.server.url);
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
    await page.getByLabel('Grader template').selectOption({ label: 'Custom JavaScript' });
    const editor = page.getByRole('textbox', { name: 'Custom grader source' });
    await editor.waitFor({ timeout: 20_000 });
    return { page, editor };
  }

  /** Replaces the whole source by keyboard, as a person would. */
  async function retype(page: Page, editor: Locator, text: string): Promise<void> {
    await editor.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Backspace');
    await page.keyboard.insertText(text);
  }

  const description = (editor: Locator) =>
    editor.evaluate((el) => (el.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '));

  it('Tab indents and Shift+Tab outdents, one line or a selection of lines, each undone by Ctrl+Z', async () => {
    const { page, editor } = await openEditor();
    await retype(page, editor, 'function grade(s) {\nreturn 1;\n}');
    // Caret at the start of line 2.
    await editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(20, 20));
    await page.keyboard.press('Tab');
    expect(await editor.inputValue()).toBe('function grade(s) {\n  return 1;\n}');
    await page.keyboard.press('Shift+Tab');
    expect(await editor.inputValue()).toBe('function grade(s) {\nreturn 1;\n}');
    // Still in the editor: Tab was the editor's, not the browser's.
    expect(await editor.evaluate((el) => el === document.activeElement)).toBe(true);
    // A selection over lines 2 and 3 indents both and stays selected.
    await editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(20, el.value.length));
    await page.keyboard.press('Tab');
    expect(await editor.inputValue()).toBe('function grade(s) {\n  return 1;\n  }');
    expect(await editor.evaluate((el: HTMLTextAreaElement) => el.value.slice(el.selectionStart, el.selectionEnd))).toBe('  return 1;\n  }');
    await page.keyboard.press('Shift+Tab');
    expect(await editor.inputValue()).toBe('function grade(s) {\nreturn 1;\n}');
    // Native undo holds the editor's own edits too.
    await page.keyboard.press('Control+z');
    expect(await editor.inputValue()).toBe('function grade(s) {\n  return 1;\n  }');
    await page.keyboard.press('Control+Shift+z');
    expect(await editor.inputValue()).toBe('function grade(s) {\nreturn 1;\n}');
  });

  it('Escape then Tab leaves the editor (forwards and backwards) without changing the source', async () => {
    const { page, editor } = await openEditor();
    const source = await editor.inputValue();
    await editor.click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    expect(await editor.evaluate((el) => el === document.activeElement)).toBe(false);
    expect(await editor.inputValue()).toBe(source);
    await editor.focus();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Shift+Tab');
    expect(await editor.evaluate((el) => el === document.activeElement)).toBe(false);
    // Any other key in between takes Tab back for indenting.
    await editor.focus();
    await page.keyboard.press('Escape');
    await page.keyboard.press('End');
    await page.keyboard.press('Tab');
    expect(await editor.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await editor.inputValue()).not.toBe(source);
    // The way out is written next to the editor and in its description.
    expect(await description(editor)).toMatch(/press Escape, then Tab/);
  });

  it('marks a syntax error at its line and column, tells screen readers, and clears when fixed', async () => {
    const { page, editor } = await openEditor();
    await retype(page, editor, 'function grade(sample) {\n  return sample.output_text === = 1;\n}');
    const mark = page.locator('.code-editor-highlight .js-error');
    await mark.first().waitFor({ timeout: 10_000 });
    const alert = await page.getByRole('alert', { name: 'Grader problems' }).textContent();
    const [, col] = /line 2, column (\d+): SyntaxError/.exec(alert ?? '') ?? [];
    expect(col, alert ?? '').toBeDefined();
    // The marked character is the one at that column of line 2.
    expect(await mark.allTextContents()).toEqual([(await editor.inputValue()).split('\n')[1][Number(col) - 1]]);
    expect(await page.locator('.code-editor-gutter .problem').allTextContents()).toEqual(['2']);
    await expect(page.locator('.js-problem-note').textContent()).resolves.toMatch(/SyntaxError/);
    await expect(editor.getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await description(editor)).toMatch(new RegExp(`Line 2, column ${col}: SyntaxError`));
    // A click on the marked line number puts the caret on the marked character.
    await editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(0, 0));
    await page.locator('.code-editor-gutter .problem').click();
    // Line 2 starts after the first newline; column c is c − 1 characters into it.
    const [caret, line2] = await editor.evaluate((el: HTMLTextAreaElement) => [el.selectionStart, el.value.indexOf('\n') + 1]);
    expect(caret).toBe(line2 + Number(col) - 1);
    expect(await editor.evaluate((el) => el === document.activeElement)).toBe(true);
    await retype(page, editor, 'function grade(sample) { return 1; }');
    await page.getByRole('alert', { name: 'Grader problems' }).waitFor({ state: 'detached', timeout: 10_000 });
    expect(await mark.count()).toBe(0);
    await expect(editor.getAttribute('aria-invalid')).resolves.toBe('false');
  });

  it('keeps the text area exactly over the highlighted text, however long the source', async () => {
    const { page, editor } = await openEditor();
    const long = Array.from({ length: 40 }, (_, i) => `  // line ${i + 1} ${'x'.repeat(i * 4)}`).join('\n');
    await retype(page, editor, `function grade(s) {\n${long}\n  return 1;\n}`);
    const boxes = await page.evaluate(() => {
      const area = document.querySelector<HTMLTextAreaElement>('.code-editor textarea')!;
      const pre = document.querySelector<HTMLPreElement>('.code-editor-highlight')!;
      const gutter = document.querySelector<HTMLElement>('.code-editor-gutter')!;
      return {
        area: area.getBoundingClientRect().toJSON(),
        pre: pre.getBoundingClientRect().toJSON(),
        // The text area never scrolls on its own, so nothing can drift apart.
        scrolls: area.scrollHeight > area.clientHeight || area.scrollWidth > area.clientWidth,
        lines: gutter.children.length,
      };
    });
    expect(boxes.scrolls).toBe(false);
    expect(boxes.area).toEqual(boxes.pre);
    expect(boxes.lines).toBe(43);
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious or critical accessibility violations with an error shown (${colorScheme})`, async () => {
      const { page, editor } = await openEditor({ colorScheme });
      await retype(page, editor, '// Scores exact matches.\nfunction grade(sample, item) {\n  const n = 0.5 + "x".length;\n  return sample.output_text === item.reference ? 1 : ;\n}');
      await page.locator('.code-editor-highlight .js-error').first().waitFor({ timeout: 10_000 });
      const result = await new AxeBuilder({ page }).include(PANEL).analyze();
      const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`)).toEqual([]);
      // Theme colours, not fixed ones: every token class takes its colour from the theme variable.
      const colours = await page.evaluate(() =>
        ['comment', 'string', 'number', 'keyword'].map((k) => {
          const el = document.querySelector(`.code-editor-highlight .js-${k}`)!;
          const probe = document.createElement('span');
          probe.style.color = `var(--code-${k})`;
          document.body.append(probe);
          const want = getComputedStyle(probe).color;
          probe.remove();
          return getComputedStyle(el).color === want;
        }),
      );
      expect(colours).toEqual([true, true, true, true]);
      // The marked line number takes the view to the error, underline and message.
      await page.locator('.code-editor-gutter .problem').click();
      await expect.poll(() => page.locator('.code-editor-scroll').evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
      await page.locator(PANEL).screenshot({ path: `${SHOTS}/grader-editor-${colorScheme}.png` });
    });
  }

  it('fits a 375 px phone: long lines scroll inside the editor, line numbers stay in view', async () => {
    const { page, editor } = await openEditor({ width: 375, height: 800 });
    await retype(page, editor, `function grade(sample) {\n  return sample.output_text.length > 3 && sample.output_text.startsWith("a") ? 1 : 0; // long\n}`);
    await editor.scrollIntoViewIfNeeded();
    const box = (await page.locator('.code-editor').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(375);
    // Caret at the end of the long line: the editor scrolls sideways, the gutter stays put.
    await editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(el.value.indexOf('// long') + 7, el.value.indexOf('// long') + 7));
    await page.keyboard.type('!');
    const scroll = page.locator('.code-editor-scroll');
    await expect.poll(() => scroll.evaluate((el) => el.scrollLeft), { timeout: 5_000 }).toBeGreaterThan(0);
    const gutter = (await page.locator('.code-editor-gutter').boundingBox())!;
    expect(Math.abs(gutter.x - box.x)).toBeLessThanOrEqual(1.5);
    await page.locator('.code-editor').screenshot({ path: `${SHOTS}/grader-editor-375.png` });
  });

  it('reads well at 1920 px', async () => {
    const { page } = await openEditor({ width: 1920, height: 1080 });
    await page.locator(PANEL).scrollIntoViewIfNeeded();
    const box = (await page.locator('.code-editor').boundingBox())!;
    expect(box.width).toBeGreaterThan(250);
    await page.locator(PANEL).screenshot({ path: `${SHOTS}/grader-editor-1920.png` });
  });
});
