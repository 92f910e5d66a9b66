/**
 * Graders that run too long, on the built page as a student gets it: a
 * 107-character link with a catastrophic regular expression (a template, so no
 * consent is asked), and rouge_l over 4,000-character strings. The step stops
 * with the timeout message within the time limit, the page answers at once
 * throughout, Pause / Reset / Restore defaults work, and after a reload the
 * saved grader does not run again until the student presses Play.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/engine/config.ts';
import { encodeShareHash } from '../../../src/share/hash-codec.ts';
import { defaultLanes, defaultTeacher } from '../../../src/share/run-state.ts';
import { HAVE_CHROMIUM, launchChromium } from '../browser.ts';
import { serveStatic, type StaticServer } from '../static-server.ts';
import type {} from '../../../src/ui/debug-hook.ts';

const ready = (page: Page) => page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 30_000 });

function link(grader: Record<string, unknown>): string {
  return encodeShareHash({ config: { ...defaultConfig(), seed: 2, task: 'reverse', grader } as never, lanes: defaultLanes(), teacher: defaultTeacher() });
}

/** How long the page's main thread takes to answer; a frozen page would not answer for seconds. */
async function answerTime(page: Page): Promise<number> {
  const t0 = Date.now();
  await page.evaluate(() => 6 * 7);
  return Date.now() - t0;
}

const messages = (page: Page) => page.locator('[role=status], [role=alert]').allTextContents().then((t) => t.join(' | '));

describe.skipIf(!HAVE_CHROMIUM)('graders that run too long on the page', () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveStatic('dist');
    browser = await launchChromium(false);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each([
    ['a catastrophic regular expression', { type: 'regex', name: 'evil', pattern: '^(a+)+$', input: `${'a'.repeat(40)}!{{sample.output_text}}` }],
    // Just under a share link's 4,000-character limit per string.
    ['rouge_l over 4,000-character strings', { type: 'text_similarity', name: 'slow', evaluation_metric: 'rouge_l', tokens: 'chars', input: `${'abc'.repeat(1320)}{{sample.output_text}}`, reference: 'abc'.repeat(1320) }],
  ])('%s: the timeout message within the limit, a responsive page, working controls, no re-run on reload', async (_what, grader) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(`${server.url}#${link(grader)}`);
    await ready(page);
    // The link plays by itself; the first step's grading is what runs too long.
    let worst = 0;
    while (!/timed out/.test(await messages(page))) {
      worst = Math.max(worst, await answerTime(page));
      if (Date.now() - started > 20_000) throw new Error(`no timeout message after 20 s: ${await messages(page)}`);
      await page.waitForTimeout(100);
    }
    expect(await messages(page)).toMatch(/grader timed out on sample \d+.*time limit 2000 ms per batch/);
    expect(worst).toBeLessThan(1000);
    const p = await page.evaluate(() => window.__rftPlayground.progress());
    expect(p.playing).toBe(false);
    expect(p.step).toBe(0);

    // The controls work at once: Play again (times out again, still answering), Pause, Reset.
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await expect.poll(() => page.evaluate(() => window.__rftPlayground.progress().playing), { timeout: 5_000 }).toBe(true);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect.poll(() => page.evaluate(() => window.__rftPlayground.progress().playing), { timeout: 3_000 }).toBe(false);
    expect(await answerTime(page)).toBeLessThan(1000);
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    expect(await answerTime(page)).toBeLessThan(1000);

    // Reload: the saved grader is kept, and nothing grades until the student says so.
    await page.reload();
    await ready(page);
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.config.grader?.name)).toBe(grader.name);
    await page.waitForTimeout(3000);
    expect(await page.evaluate(() => window.__rftPlayground.progress())).toMatchObject({ step: 0, playing: false });
    expect(await messages(page)).not.toMatch(/timed out/);
    expect(await answerTime(page)).toBeLessThan(1000);
    await context.close();
  });

  it('a data file over the size limit is refused by its size, before it is read, and nothing loaded changes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await ready(page);
    const before = await page.evaluate(() => window.__rftPlayground.definition()?.config.task);
    const big = Buffer.alloc(3 * 1024 * 1024, '{"messages":[]}\n');
    await page.getByLabel('Import JSONL files').setInputFiles({ name: 'huge.jsonl', mimeType: 'application/jsonl', buffer: big });
    await expect.poll(() => page.getByText(/huge\.jsonl: file is too large \(3\.0 MiB; the playground accepts at most 2 MiB per file\); nothing already loaded was changed/).count(), { timeout: 10_000 }).toBe(1);
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.config.task)).toBe(before);
    await context.close();
  });

  it('a JSONL item nested 100,000 levels deep is refused naming its file and line', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await ready(page);
    const deep = `{"messages":[{"role":"user","content":"ab"},{"role":"assistant","content":"ba"}]}\n{"messages":[{"role":"user","content":"cd"},{"role":"assistant","content":"dc"}],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`;
    await page.getByLabel('Import JSONL files').setInputFiles({ name: 'deep.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(deep) });
    await expect.poll(() => page.getByText(/deep\.jsonl.*line 2.*nested more than 64 levels deep/).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.getByText(/structuredClone|RangeError|Maximum call stack/).count()).toBe(0);
    await context.close();
  });
});
