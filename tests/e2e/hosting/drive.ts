/**
 * What the hosting tests do with the page, the way a person would: wait until
 * it is ready, press Play, watch the step counter. Read through the page's
 * read-only test hook (src/ui/debug-hook.ts).
 */
import { mkdirSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';

export const SHOTS = 'test-results';

// The hook's type and its declaration on `window` come from the page's own module (one declaration for all tests).
import type {} from '../../../src/ui/debug-hook.ts';

/** Waits for the backend badge, which appears once the training worker has started; returns its text. */
export async function waitUntilReady(page: Page): Promise<string> {
  await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 30_000 });
  return (await page.evaluate(() => window.__rftPlayground.backendBadge()))!;
}

/**
 * Presses Play, waits for `steps` more steps, pauses; returns the RFT lane's
 * step records. Not at full speed: a run stops by itself at its step budget
 * (300), and at "max" hundreds of steps pass before Pause lands, so a test that
 * trains twice would find the run finished.
 */
export async function trainFor(page: Page, steps: number): Promise<{ step: number; reward?: number }[]> {
  const start = await page.evaluate(() => window.__rftPlayground.progress().step);
  await page.getByLabel('Speed').selectOption({ label: '100 steps/s' });
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForFunction((target) => window.__rftPlayground.progress().step >= target, start + steps, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  return page.evaluate(() => window.__rftPlayground.metrics().rft);
}

/** Uncaught errors and console errors of the page, to assert there were none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return errors;
}

/** Every URL the browser asks for in this context: the page, its workers, the service worker's fetches. */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  return urls;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/hosting-${name}.png`, fullPage: true });
}
