/**
 * End-to-end (CPU backend): the first screen, as a newcomer meets it, is axe-clean in light and dark,
 * with the Restore defaults dialog open too; screenshots of it at 1280×800, on a 375 px phone and on a
 * 1920×1080 projector (presentation mode), light and dark, go to test-results/first-screen-*.png.
 */
import AxeBuilder from '@axe-core/playwright';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { builtPage, HAVE_CHROMIUM } from './browser.ts';
import type {} from '../../src/ui/debug-hook.ts';

const SHOTS = 'test-results';
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 740 },
  { name: 'projector', width: 1920, height: 1080 },
] as const;

describe.skipIf(!HAVE_CHROMIUM)('the first screen (CPU backend)', () => {
  const site = builtPage();

  async function open(viewport: { width: number; height: number }, colorScheme: 'light' | 'dark'): Promise<Page> {
    const context = await site.newContext({ viewport, colorScheme });
    const page = await context.newPage();
    await page.goto(site.server.url);
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
    return page;
  }

  const violations = async (page: Page, include?: string) => {
    const builder = new AxeBuilder({ page });
    const result = await (include ? builder.include(include) : builder).analyze();
    return result.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
  };

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no axe violations, with and without the Restore defaults dialog (${colorScheme})`, async () => {
      const page = await open({ width: 1280, height: 800 }, colorScheme);
      expect(await violations(page), colorScheme).toEqual([]);
      await page.getByRole('button', { name: 'Restore defaults' }).click();
      await page.getByRole('dialog', { name: 'Restore the defaults?' }).waitFor();
      expect(await violations(page), `${colorScheme}, dialog open`).toEqual([]);
      // And once it has trained a little, with the samples tables, heatmaps, smoothing and a mark.
      await page.keyboard.press('Escape');
      for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Step', exact: true }).click();
      await page.waitForFunction(() => window.__rftPlayground.progress().step === 3, null, { timeout: 20_000 });
      await page.getByRole('checkbox', { name: 'SFT lane on' }).uncheck();
      await page.getByRole('slider', { name: 'Smoothing' }).fill('0.6');
      await page.getByTestId('chart-marks').waitFor();
      expect(await violations(page), `${colorScheme}, after 3 steps`).toEqual([]);
      await page.context().close();
    });

    it(`screenshots at 1280×800, 375 px and 1920×1080 presentation (${colorScheme})`, async () => {
      for (const size of SIZES) {
        const page = await open(size, colorScheme);
        if (size.name === 'projector') await page.getByRole('button', { name: 'Presentation' }).click();
        await page.screenshot({ path: `${SHOTS}/first-screen-${size.name}-${colorScheme}.png` });
        // Nothing is wider than the screen: no sideways scrolling of the page.
        expect(await page.evaluate(() => document.documentElement.scrollWidth), size.name).toBeLessThanOrEqual(size.width);
        await page.context().close();
      }
    });
  }
});
