/**
 * End-to-end: the classroom tools on the production build (dist/, from
 * `npm run build`) in Debian's Chromium, CPU backend (no WebGPU flag) so
 * runs are deterministic. Driven by roles and labels; screenshots go to
 * test-results/classroom-*.png.
 */
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import LZString from 'lz-string';
import type { Download, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/engine/config.ts';
import { encodeShareHash } from '../../../src/share/hash-codec.ts';
import { defaultLanes, defaultTeacher, type ShareState } from '../../../src/share/run-state.ts';
import { builtPage, HAVE_CHROMIUM } from '../browser.ts';
import type {} from '../../../src/ui/debug-hook.ts';

const SHOTS = 'test-results';
/** The machine may be busy (other test files, the page's own worker): give the page time before calling a wait a failure. */
const POLL = { timeout: 15_000 };

function state(patch: { config?: Partial<ShareState['config']>; teacher?: Partial<ShareState['teacher']> } = {}): ShareState {
  return { config: { ...defaultConfig(), ...patch.config }, lanes: defaultLanes(), teacher: { ...defaultTeacher(), ...patch.teacher } };
}
/** A hash built by hand, for what the page's own encoder would never write. */
const rawHash = (value: unknown) => 'v1=' + LZString.compressToEncodedURIComponent(JSON.stringify(value));

describe.skipIf(!HAVE_CHROMIUM)('classroom tools (CPU backend)', () => {
  const site = builtPage();

  /** A fresh browser profile (empty storage), like a friend opening the link. */
  async function open(hash = '', viewport = { width: 1400, height: 1000 }): Promise<Page> {
    const context = await site.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(site.server.url + (hash ? '#' + hash : ''));
    await ready(page);
    return page;
  }

  async function ready(page: Page): Promise<void> {
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
  }

  const step = (page: Page) => page.evaluate(() => window.__rftPlayground.progress().step);

  async function finished(page: Page, steps: number): Promise<void> {
    await page.waitForFunction((n) => {
      const p = window.__rftPlayground.progress();
      return p.step === n && !p.playing;
    }, steps, { timeout: 30_000 });
  }

  it('a share link opened in a fresh browser context reproduces the first 50 steps', async () => {
    const first = await open(encodeShareHash(state({ config: { seed: 1234, steps: 50, task: 'reverse' } })));
    await finished(first, 50);
    // The link the Share button makes, not the one the test wrote.
    await first.getByRole('button', { name: 'Share' }).click();
    const field = first.getByLabel(/^Link/);
    await expect.poll(() => field.inputValue(), POLL).toMatch(/#v1=/);
    const url = await field.inputValue();
    const original = await first.evaluate(() => window.__rftPlayground.metrics());

    const context = await site.newContext();
    const second = await context.newPage();
    await second.goto(url);
    await ready(second);
    await finished(second, 50);
    const reproduced = await second.evaluate(() => window.__rftPlayground.metrics());
    for (const lane of ['rft', 'dpo', 'sft'] as const) expect(original[lane]).toHaveLength(50);
    expect(reproduced).toEqual(original);
    expect((await second.evaluate(() => window.__rftPlayground.definition()))?.config.seed).toBe(1234);
    // Read, then removed from the address bar: a reload opens the saved edits, not the link again.
    expect(new URL(second.url()).hash).toBe('');
  });

  it('a hostile hash runs no script, names the refused fields and leaves the page usable', async () => {
    const context = await site.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => Object.defineProperty(window, '__pwned', { value: false, writable: true }));
    const hostile = rawHash({
      config: { task: '<img src=x onerror="window.__pwned=true">', seed: 'DROP TABLE', steps: 1e12, rft: { epsilon: -1 }, temperature: 0.7 },
      lanes: { rft: '<script>window.__pwned=true</script>' },
      teacher: { hide: ['<svg onload=window.__pwned=true>'] },
      ['<b onmouseover=window.__pwned=true>']: 1,
    });
    await page.goto(`${site.server.url}#${hostile}`);
    await ready(page);
    const notice = page.getByTestId('classroom-notice');
    await expect.poll(() => notice.isVisible(), POLL).toBe(true);
    const text = (await notice.textContent()) ?? '';
    expect(text).toMatch(/config\.task/);
    expect(text).toMatch(/config\.rft\.epsilon/);
    expect(text).toMatch(/config\.seed/);
    // Shown as text, never as markup.
    expect(await page.locator('img[src="x"], svg[onload], b[onmouseover], script:not([src])').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned: boolean }).__pwned)).toBe(false);
    // Valid fields kept, bad ones at their defaults.
    const def = await page.evaluate(() => window.__rftPlayground.definition());
    expect(def?.config.temperature).toBe(0.7);
    expect(def?.config.seed).toBe(defaultConfig().seed);
    await page.getByRole('button', { name: 'Dismiss this message' }).click();
    expect(await notice.count()).toBe(0);
    // Usable: the link (not paused) trains at once; pause it and take one step by hand.
    await expect.poll(() => step(page), POLL).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.evaluate(() => window.__rftPlayground.progress().playing), POLL).toBe(false);
    const before = await step(page);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => step(page), POLL).toBe(before + 1);

    const damaged = await open('v1=@@not-a-link@@');
    expect(await damaged.getByTestId('classroom-notice').textContent()).toMatch(/damaged/);
    // An in-page anchor is not a share link: nothing reported.
    const anchor = await open('main');
    expect(await anchor.getByTestId('classroom-notice').count()).toBe(0);
  });

  it('a link with grader code shows the code and runs nothing until the user agrees', async () => {
    const source = 'function grade(sample, item) {\n  return sample.output_text.length > 0 ? 1 : 0; // <b>not markup</b>\n}\n';
    const hash = encodeShareHash(state({ config: { seed: 5, grader: { type: 'js', name: 'custom', source } } }));
    const page = await open(hash);
    const dialog = page.getByRole('dialog', { name: 'This link carries grader code' });
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    expect(await dialog.locator('pre').textContent()).toBe(source);
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.config.grader)).toBeNull();
    await page.waitForTimeout(500);
    expect(await step(page)).toBe(0);
    // Shortcuts stay quiet behind the question.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('r');
    await page.waitForTimeout(300);
    expect(await step(page)).toBe(0);
    await page.screenshot({ path: `${SHOTS}/classroom-consent.png` });
    await dialog.getByRole('button', { name: 'Keep the default grader' }).click();
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.config.grader)).toBeNull();

    const agreeing = await open(hash);
    await agreeing.getByRole('button', { name: 'Run this code' }).click();
    await expect.poll(() => agreeing.evaluate(() => window.__rftPlayground.definition()?.config.grader?.type), POLL).toBe('js');
    await expect.poll(() => step(agreeing), { timeout: 20_000 }).toBeGreaterThan(0);
  });

  it('keeps edits over a reload; "Restore defaults" asks in an in-page dialog (Escape and Cancel keep everything)', async () => {
    const page = await open();
    await page.locator('#task-picker').selectOption('add');
    await expect.poll(() => page.evaluate(() => window.__rftPlayground.definition()?.config.task), POLL).toBe('add');
    await page.getByRole('checkbox', { name: 'DPO lane on' }).uncheck();
    await page.waitForTimeout(800);
    await page.reload();
    await ready(page);
    const def = await page.evaluate(() => window.__rftPlayground.definition());
    expect(def?.config.task).toBe('add');
    expect(def?.lanes.dpo).toBe(false);

    // No native dialog: the page asks in its own modal dialog, which names what goes and what stays.
    let nativeDialogs = 0;
    page.on('dialog', (d) => (nativeDialogs++, void d.dismiss()));
    const restoreButton = page.getByRole('button', { name: 'Restore defaults' });
    await restoreButton.click();
    const dialog = page.getByRole('dialog', { name: 'Restore the defaults?' });
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    expect(await dialog.textContent()).toMatch(/removes.*knob setting.*task.*lane switches.*Kept: your lesson progress/s);
    // Focus is inside the dialog and stays there: Tab cycles through its own controls only.
    for (let i = 0; i < 4; i++) {
      expect(await page.evaluate(() => !!document.activeElement?.closest('dialog[open]'))).toBe(true);
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Restore defaults');
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.config.task)).toBe('add');
    await restoreButton.click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.isVisible(), POLL).toBe(false);
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.config.task)).toBe('add');

    await restoreButton.click();
    await Promise.all([page.waitForEvent('load'), dialog.getByRole('button', { name: 'Restore the defaults' }).click()]);
    await ready(page);
    await expect.poll(() => page.evaluate(() => window.__rftPlayground.definition()?.config.task), POLL).toBe(defaultConfig().task);
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.lanes.dpo)).toBe(true);
    expect(nativeDialogs).toBe(0);
  });

  it('"Restore defaults" keeps custom grader code unless ticked; the dialog is axe-clean in light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await site.newContext({ viewport: { width: 1280, height: 800 }, colorScheme });
      const page = await context.newPage();
      await page.goto(site.server.url);
      await ready(page);
      await page.getByLabel('Grader template').selectOption({ label: 'Custom JavaScript' });
      await expect.poll(() => page.evaluate(() => window.__rftPlayground.definition()?.config.grader?.type), POLL).toBe('js');
      const code = await page.evaluate(() => String(window.__rftPlayground.definition()?.config.grader?.source));
      await page.getByRole('checkbox', { name: 'DPO lane on' }).uncheck();
      await page.waitForTimeout(800);
      await page.getByRole('button', { name: 'Restore defaults' }).click();
      const dialog = page.getByRole('dialog', { name: 'Restore the defaults?' });
      await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
      const tick = dialog.getByRole('checkbox', { name: /my custom grader code/ });
      expect(await tick.isChecked()).toBe(false);
      const result = await new AxeBuilder({ page }).include('dialog[open]').analyze();
      expect(result.violations.map((v) => `${v.id}: ${v.help}`), colorScheme).toEqual([]);
      await page.screenshot({ path: `${SHOTS}/restore-dialog-${colorScheme}.png` });
      await Promise.all([page.waitForEvent('load'), dialog.getByRole('button', { name: 'Restore the defaults' }).click()]);
      await ready(page);
      // The defaults run (the task's own grader), and the code waits in the editor for Custom JavaScript.
      expect(await page.evaluate(() => window.__rftPlayground.definition()?.config.grader ?? null)).toBeNull();
      expect(await page.evaluate(() => window.__rftPlayground.definition()?.lanes.dpo)).toBe(true);
      await page.getByLabel('Grader template').selectOption({ label: 'Custom JavaScript' });
      await expect.poll(() => page.evaluate(() => window.__rftPlayground.definition()?.config.grader?.source), POLL).toBe(code);
      if (colorScheme === 'light') continue;
      // Ticked, the code goes too.
      await page.getByRole('button', { name: 'Restore defaults' }).click();
      await dialog.getByRole('checkbox', { name: /my custom grader code/ }).check();
      await Promise.all([page.waitForEvent('load'), dialog.getByRole('button', { name: 'Restore the defaults' }).click()]);
      await ready(page);
      await page.getByRole('button', { name: 'Restore defaults' }).click();
      await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
      expect(await dialog.textContent()).not.toMatch(/custom grader code/);
      expect(await dialog.getByRole('checkbox').count()).toBe(0);
    }
  });

  it('exports valid CSV, JSON, PNG and JSONL', async () => {
    const page = await open(encodeShareHash(state({ config: { steps: 20 } })));
    await finished(page, 20);
    const read = async (d: Download) => ({ name: d.suggestedFilename(), bytes: readFileSync((await d.path())!) });
    async function downloads(label: string, count: number): Promise<{ name: string; bytes: Buffer }[]> {
      await page.getByRole('button', { name: /^Export/ }).click();
      const got: Download[] = [];
      const done = new Promise<void>((resolve) => {
        const on = (d: Download) => {
          got.push(d);
          if (got.length === count) {
            page.off('download', on);
            resolve();
          }
        };
        page.on('download', on);
      });
      await page.getByRole('button', { name: label }).click();
      await done;
      return Promise.all(got.map(read));
    }
    const [csv] = await downloads('Metrics (CSV)', 1);
    expect(csv.name).toMatch(/^rft-playground_reverse_.*_metrics\.csv$/);
    const lines = csv.bytes.toString('utf8').trimEnd().split('\r\n');
    const header = lines[0].split(',');
    expect(header.slice(0, 2)).toEqual(['lane', 'step']);
    expect(lines).toHaveLength(1 + 3 * 20);
    const rewardAt = header.indexOf('reward');
    const metrics = await page.evaluate(() => window.__rftPlayground.metrics());
    expect(Number(lines[20].split(',')[rewardAt])).toBe(metrics.rft[19].reward);

    const [json] = await downloads('Metrics (JSON)', 1);
    const parsed = JSON.parse(json.bytes.toString('utf8'));
    expect(parsed.lanes.dpo).toHaveLength(20);
    expect(parsed.config.steps).toBe(20);

    const [config] = await downloads('Config (JSON)', 1);
    expect(JSON.parse(config.bytes.toString('utf8')).steps).toBe(20);

    // One image of every chart with data, not one download per chart.
    const size = (bytes: Buffer) => ({ width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) });
    let extra = 0;
    page.on('download', () => extra++);
    const [sheet] = await downloads('Charts (PNG, one image)', 1);
    await page.waitForTimeout(1500);
    expect(extra, 'downloads after the first').toBe(1);
    expect(sheet.name).toMatch(/_charts\.png$/);
    expect([...sheet.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const all = size(sheet.bytes);
    expect(all.width).toBeGreaterThan(600);
    const notice = page.getByTestId('classroom-notice');
    expect(await notice.textContent()).toContain(`one image of ${await page.locator('figure[data-chart-id]').count()} charts.`);
    // A lane switched off leaves the image: its loss chart and the DPO log-probabilities go, and the notice names what was left out.
    await page.getByRole('checkbox', { name: 'DPO lane on' }).uncheck();
    await expect.poll(() => page.locator('figure[data-chart-id="dpo-logps"]').count(), POLL).toBe(0);
    const [without] = await downloads('Charts (PNG, one image)', 1);
    expect(await notice.textContent()).toMatch(/one image of 6 charts; left out \(lane off or empty\): DPO loss\./);
    expect(size(without.bytes).height).toBeLessThan(all.height);
    await page.getByRole('checkbox', { name: 'DPO lane on' }).check();

    const jsonl = await downloads('Task data (JSONL)', 3);
    expect(jsonl.map((f) => f.name.replace(/^.*_/, '')).sort()).toEqual(['dpo.jsonl', 'rft.jsonl', 'sft.jsonl']);
    for (const file of jsonl) {
      const rows = file.bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.length).toBeGreaterThan(0);
      if (file.name.endsWith('sft.jsonl')) expect(rows[0].messages.at(-1).role).toBe('assistant');
      if (file.name.endsWith('dpo.jsonl')) expect(rows[0]).toHaveProperty('preferred_output');
      if (file.name.endsWith('rft.jsonl')) expect(rows[0].messages[0]).toHaveProperty('content');
    }
  });

  it('runs from the keyboard alone: Tab, Space, →, R and ?', async () => {
    const page = await open();
    // Tab to Play; every stop on the way shows a focus ring.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      const focus = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const s = getComputedStyle(el);
        return { text: el.textContent?.trim(), ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 };
      });
      expect(focus.ring).toBe(true);
      if (focus.text === 'Play') break;
    }
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Play');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => step(page), POLL).toBe(1);
    await page.keyboard.press('Space');
    await expect.poll(() => page.evaluate(() => window.__rftPlayground.progress().playing), POLL).toBe(true);
    await expect.poll(() => step(page), POLL).toBeGreaterThan(3);
    await page.keyboard.press('Space');
    await expect.poll(() => page.evaluate(() => window.__rftPlayground.progress().playing), POLL).toBe(false);
    await page.keyboard.press('r');
    await expect.poll(() => step(page), POLL).toBe(0);
    // Keys typed into a field are text, not shortcuts.
    await page.locator('#bench-answer').fill('');
    await page.locator('#bench-answer').press('r');
    await page.locator('#bench-answer').press('ArrowRight');
    expect(await step(page)).toBe(0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('?');
    await expect.poll(() => page.getByRole('dialog', { name: 'Keyboard shortcuts' }).isVisible(), POLL).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog', { name: 'Keyboard shortcuts' }).isVisible(), POLL).toBe(false);
  });

  it('fits a 375 px phone without horizontal scrolling', async () => {
    const page = await open('', { width: 375, height: 800 });
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => step(page), POLL).toBe(1);
    await page.screenshot({ path: `${SHOTS}/classroom-375px.png`, fullPage: true });
    await page.screenshot({ path: `${SHOTS}/classroom-375px-top.png` });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });

  it('presentation mode from a teacher link: large type, hidden panels, results covered until Reveal', async () => {
    const hash = encodeShareHash(state({ teacher: { presentation: true, reveal: true, paused: true, hide: ['grader-panel', 'speed'] } }));
    const page = await open(hash, { width: 1920, height: 1080 });
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize)).toBe('22px');
    expect(await page.locator('section[aria-labelledby="grader-title"]').isVisible()).toBe(false);
    expect(await page.getByRole('combobox', { name: 'Speed' }).isVisible()).toBe(false);
    expect(await page.locator('figure[data-chart-id="reward"]').isVisible()).toBe(false);
    expect(await step(page)).toBe(0);
    await page.screenshot({ path: `${SHOTS}/classroom-presentation-covered.png` });
    await page.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => step(page), POLL).toBeGreaterThan(20);
    await page.getByRole('button', { name: 'Reveal the results' }).click();
    await expect.poll(() => page.locator('figure[data-chart-id="reward"]').isVisible(), POLL).toBe(true);
    await page.screenshot({ path: `${SHOTS}/classroom-presentation.png` });
  });

  it('has no serious or critical accessibility violations (axe-core), light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await site.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme });
      const page = await context.newPage();
      await page.goto(site.server.url);
      await ready(page);
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      await expect.poll(() => step(page), POLL).toBe(1);
      const result = await new AxeBuilder({ page }).analyze();
      const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`), colorScheme).toEqual([]);
      if (colorScheme === 'dark') await page.screenshot({ path: `${SHOTS}/classroom-dark.png` });
    }
  });
});
