/**
 * End-to-end, on both backends (production build): the lane cards' "see it happen" views.
 * - Step slowly: one real RFT step, walked through stage by stage with the keyboard (announced), ends
 *   with the card's heatmap showing exactly the policy the worker reports after the step, and marking
 *   exactly the cells the step moved (against the heatmaps read before and after, not the view's numbers).
 * - Sampling: dragging the temperature redraws the distribution within 100 ms while three lanes train,
 *   and changes the run only when applied.
 * Also axe in light and dark with the views open, and screenshots (light, dark, presentation mode,
 * 375 px phone, 1920 px) in test-results/see-*.png.
 */
import AxeBuilder from '@axe-core/playwright';
import { cpus, loadavg } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { builtPage, HAVE_CHROMIUM, preferBackend, WEBGPU_BADGE } from './browser.ts';
import { CHANGED } from '../../src/worker/view-protocol.ts';
import type {} from '../../src/ui/debug-hook.ts';

const SHOTS = 'test-results';
const POLL = { timeout: 30_000 };

describe.skipIf(!HAVE_CHROMIUM).each([
  { mode: 'cpu', webgpu: false },
  { mode: 'webgpu', webgpu: true },
])('see it happen ($mode backend)', ({ mode, webgpu }) => {
  const site = builtPage({ webgpu });
  const errors: string[] = [];
  afterAll(() => expect(errors).toEqual([]));

  async function open(o: { colorScheme?: 'light' | 'dark'; width?: number; height?: number; deviceScaleFactor?: number } = {}): Promise<Page> {
    const context = await site.newContext({ viewport: { width: o.width ?? 1400, height: o.height ?? 1000 }, colorScheme: o.colorScheme ?? 'light', deviceScaleFactor: o.deviceScaleFactor });
    await preferBackend(context, webgpu ? 'webgpu' : 'cpu');
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(site.server.url);
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null && window.__rftPlayground.heatmap('rft') != null, null, POLL);
    if (webgpu) expect(await page.evaluate(() => window.__rftPlayground.backendBadge())).toMatch(WEBGPU_BADGE);
    return page;
  }
  const card = (page: Page, name: string) => page.getByRole('region', { name, exact: true });
  const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/see-${name}-${mode}.png`, fullPage: false });

  async function slowStep(page: Page, lane: 'rft' | 'dpo' | 'sft', laneName: string): Promise<void> {
    const c = card(page, laneName);
    await c.getByRole('button', { name: 'Step slowly' }).click();
    const before = await page.evaluate(() => window.__rftPlayground.progress().step);
    await c.getByRole('button', { name: /Take (one|the next) step slowly/ }).click();
    await expect.poll(() => page.evaluate((l) => window.__rftPlayground.slowMotion(l)?.step ?? 0, lane), POLL).toBe(before + 1);
  }

  it('a slow-motion RFT step animates stage by stage and ends with the heatmap changed exactly as the step changed it', async () => {
    const page = await open({ deviceScaleFactor: 2 });
    // Train a little first, so the step has groups with mixed scores and momentum to show.
    await page.getByLabel('Speed').selectOption({ label: '100 steps/s' });
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step >= 15, null, POLL);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.waitForFunction(() => !window.__rftPlayground.progress().playing, null, POLL);
    const heatBefore = (await page.evaluate(() => window.__rftPlayground.heatmap('rft')))!;
    const stepBefore = await page.evaluate(() => window.__rftPlayground.progress().step);

    await slowStep(page, 'rft', 'RFT');
    const view = page.getByTestId('slow-motion-rft');
    // It is a real step of the run, like Step.
    expect(await page.evaluate(() => window.__rftPlayground.progress().step)).toBe(stepBefore + 1);
    const report = (await page.evaluate(() => window.__rftPlayground.slowMotion('rft')))!;
    const heatAfter = (await page.evaluate(() => window.__rftPlayground.heatmap('rft')))!;
    // The view explains the prompt the heatmap shows (reverse asks every prompt every step).
    expect(report.heatmapBefore).toEqual(heatBefore);
    expect(report.heatmapAfter).toEqual(heatAfter);

    // Stage by stage with the keyboard; each is announced.
    const announced: string[] = [];
    await view.getByRole('button', { name: 'Next →' }).focus();
    for (let stage = 0; stage < 5; stage++) {
      await expect.poll(() => view.getAttribute('data-stage'), POLL).toBe(String(stage));
      announced.push((await page.getByTestId('slow-motion-announcement').textContent()) ?? '');
      if (stage === 3) await shot(page, 'slow-rft-advantages');
      if (stage < 4) await page.keyboard.press('ArrowRight');
    }
    expect(announced.map((a) => a.replace(/:.*/, ''))).toEqual([1, 2, 3, 4, 5].map((n) => `RFT step ${stepBefore + 1}, stage ${n} of 5`));
    expect(announced[3]).toMatch(/Advantages from [−+]\d/);
    // The arrow keys moved the stages, not the run (→ is the page's Step shortcut elsewhere).
    expect(await page.evaluate(() => window.__rftPlayground.progress().step)).toBe(stepBefore + 1);
    // Bars are drawn at the advantages stage: some up, some down, or all flat for a silent group.
    expect(await view.locator('.fill').count()).toBeGreaterThan(0);

    // The end: the card's heatmap is the policy after the step, with exactly the moved cells marked.
    const heatmap = card(page, 'RFT').getByRole('table', { name: /RFT policy for prompt/ });
    await expect.poll(() => page.getByTestId('heatmap-changes-caption').count(), POLL).toBe(1);
    const cells = await heatmap.locator('td[aria-label]').evaluateAll((tds) => tds.map((td) => ({ label: td.getAttribute('aria-label')!, changed: td.getAttribute('data-changed') })));
    let i = 0;
    let marked = 0;
    for (let p = 0; p < heatAfter.length; p++) {
      if (!cells.some((c) => c.label.startsWith(`position ${p + 1},`))) continue; // an "ended" row
      for (let j = 0; j < heatAfter[p].length; j++, i++) {
        const cell = cells[i];
        expect(cell.label).toMatch(new RegExp(`^position ${p + 1}, .+: ${(heatAfter[p][j] * 100).toFixed(1)}%`));
        const d = heatAfter[p][j] - heatBefore[p][j];
        const want = Math.abs(d) < CHANGED ? null : d > 0 ? 'up' : 'down';
        expect(cell.changed, `${cell.label}: ${heatBefore[p][j]} → ${heatAfter[p][j]}`).toBe(want);
        if (want) marked++;
      }
    }
    expect(i).toBe(cells.length);
    expect(marked).toBeGreaterThan(0);
    expect(await page.getByTestId('slow-motion-sources').textContent()).toMatch(/gradient|momentum|Nothing moved/);
    await card(page, 'RFT').screenshot({ path: `${SHOTS}/see-slow-rft-changes-${mode}.png` });
    await heatmap.screenshot({ path: `${SHOTS}/see-heatmap-changes-${mode}.png` });

    // Back goes back; the heatmap returns to the live one (same numbers, nothing marked).
    await view.getByRole('button', { name: '← Back' }).click();
    await expect.poll(() => page.getByTestId('heatmap-changes-caption').count(), POLL).toBe(0);
  });

  it('dragging the temperature redraws the distribution within 100 ms while three lanes train, and changes the run only when applied', async () => {
    const page = await open();
    const c = card(page, 'RFT');
    await c.getByRole('button', { name: 'Sampling' }).click();
    const view = page.getByTestId('sampling-rft');
    await expect.poll(() => view.getAttribute('data-temperature'), POLL).toBe('1');
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step >= 3, null, POLL);
    const slider = view.getByRole('slider', { name: /Temperature/ });
    await slider.focus();
    // Each drag position: set the value as the pointer would, then wait (polling every frame) for its numbers.
    const times: number[] = [];
    for (const t of [0.5, 0.8, 1.3, 1.7, 2.2, 2.6, 0.3, 1.05, 1.9, 0.7]) {
      const ms = await page.evaluate(
        ({ value }) =>
          new Promise<number>((resolve, reject) => {
            const section = document.querySelector('[data-testid="sampling-rft"]')!;
            const input = section.querySelector<HTMLInputElement>('input[type="range"]')!;
            const t0 = performance.now();
            input.value = String(value);
            input.dispatchEvent(new Event('input', { bubbles: true }));
            const poll = () => {
              if (section.getAttribute('data-temperature') === String(value)) resolve(performance.now() - t0);
              else if (performance.now() - t0 > 5000) reject(new Error(`no redraw for temperature ${value}`));
              else requestAnimationFrame(poll);
            };
            poll();
          }),
        { value: t },
      );
      times.push(Math.round(ms));
    }
    const stepNow = await page.evaluate(() => window.__rftPlayground.progress().step);
    const load = loadavg()[0] / cpus().length;
    console.log(`sampling redraw (${mode}): ${JSON.stringify(times)} ms while training (step ${stepNow}); load ${load.toFixed(2)} per core`);
    // The run did not change.
    expect((await page.evaluate(() => window.__rftPlayground.definition()))!.config.temperature).toBe(1);
    const rows = await view.locator('tbody tr').count();
    expect(rows).toBeGreaterThan(1);
    await view.screenshot({ path: `${SHOTS}/see-sampling-${mode}.png` });
    // Apply: now the run samples at the chosen temperature.
    await view.getByRole('button', { name: /Apply temperature 0\.70 to the run/ }).click();
    await expect.poll(async () => (await page.evaluate(() => window.__rftPlayground.definition()))!.config.temperature, POLL).toBe(0.7);
    await page.getByRole('button', { name: 'Pause' }).click();
    if (load <= 1.5) {
      const sorted = [...times].sort((a, b) => a - b);
      expect(sorted[Math.floor(sorted.length * 0.9) - 1], `redraw times ${times.join(', ')} ms`).toBeLessThan(100);
    }
  });

  it('the views are axe-clean in light and dark, and fit a phone and a projector (screenshots)', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await open({ colorScheme });
      await slowStep(page, 'rft', 'RFT');
      await slowStep(page, 'dpo', 'DPO');
      await slowStep(page, 'sft', 'SFT');
      for (const lane of ['RFT', 'DPO', 'SFT']) await card(page, lane).getByRole('button', { name: 'Sampling' }).click();
      await expect.poll(() => page.getByTestId('sampling-sft').getAttribute('data-temperature'), POLL).toBe('1');
      // DPO at its weight stage; RFT and SFT at their last.
      const dpo = page.getByTestId('slow-motion-dpo');
      for (let k = 0; k < 3; k++) await dpo.getByRole('button', { name: 'Next →' }).click();
      for (let k = 0; k < 4; k++) await page.getByTestId('slow-motion-rft').getByRole('button', { name: 'Next →' }).click();
      await page.getByTestId('slow-motion-sft').getByRole('button', { name: 'Next →' }).click();
      const axe = await new AxeBuilder({ page }).include('main').analyze();
      expect(axe.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`)).toEqual([]);
      await card(page, 'DPO').screenshot({ path: `${SHOTS}/see-dpo-${colorScheme}-${mode}.png` });
      await card(page, 'SFT').screenshot({ path: `${SHOTS}/see-sft-${colorScheme}-${mode}.png` });
      await card(page, 'RFT').screenshot({ path: `${SHOTS}/see-rft-${colorScheme}-${mode}.png` });
      if (colorScheme === 'light') {
        await page.getByRole('button', { name: 'Presentation' }).click();
        await card(page, 'RFT').screenshot({ path: `${SHOTS}/see-rft-presentation-${mode}.png` });
        for (const id of ['slow-motion-rft', 'sampling-rft']) {
          const [scroll, client] = await page.getByTestId(id).evaluate((el) => [el.scrollWidth, el.clientWidth]);
          expect(scroll, `${id} in presentation mode`).toBeLessThanOrEqual(client + 1);
        }
        await page.setViewportSize({ width: 1920, height: 1080 });
        await shot(page, 'presentation-1920');
        await page.getByRole('button', { name: 'Presentation' }).click();
        await page.setViewportSize({ width: 375, height: 800 });
        // Nothing wider than the phone: the card and its views wrap.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        // …and nothing inside the views is cut off by the card (cards clip what overflows them).
        for (const id of ['slow-motion-rft', 'sampling-rft', 'slow-motion-dpo', 'sampling-dpo']) {
          const [scroll, client] = await page.getByTestId(id).evaluate((el) => [el.scrollWidth, el.clientWidth]);
          expect(scroll, id).toBeLessThanOrEqual(client + 1);
        }
        await card(page, 'RFT').screenshot({ path: `${SHOTS}/see-rft-phone-${mode}.png` });
      }
      await page.context().close();
    }
  });
});
