/**
 * End-to-end: the single-file build (dist-single/index.html, `npm run build:single`)
 * opened from disk, as from a USB stick, in Debian's Chromium: with WebGPU
 * (--enable-unsafe-webgpu, SwiftShader) and without (the CPU engine). It loads,
 * trains, runs a custom JavaScript grader (a worker inside the training worker),
 * and asks for nothing but itself and the Blob URLs it makes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { GRADER_CSP_INLINE_SCRIPTS } from '../../../src/graders/sandbox/csp.ts';
import { HAVE_CHROMIUM, launchChromium, preferBackend, WEBGPU_BADGE } from '../browser.ts';
import { collectErrors, recordRequests, screenshot, trainFor, waitUntilReady } from './drive.ts';
import { ensureSingleFileBuild, SINGLE_FILE } from './single-file-build.ts';

if (!HAVE_CHROMIUM) console.warn('single-file e2e tests skipped: /usr/bin/chromium is not installed (apt-get install chromium libvulkan1)');

describe('the single-file build', () => {
  let html: string;
  beforeAll(() => {
    ensureSingleFileBuild();
    html = readFileSync(SINGLE_FILE, 'utf8');
  });

  it('is one file with nothing to fetch', () => {
    expect(readdirSync('dist-single')).toEqual(['index.html']);
    // Every src= and href= is a data: URL (or the page itself); no <script src>, no stylesheet link, no manifest.
    const references = [...html.matchAll(/\b(?:src|href)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]);
    expect(references.filter((url) => !url.startsWith('data:'))).toEqual([]);
    expect(html).not.toMatch(/<link[^>]+rel=["'](stylesheet|manifest|modulepreload)/i);
    // Workers start from Blobs; nothing names a separate worker or chunk file.
    expect(html).not.toMatch(/new URL\([`'"][^`'"]+\.js[`'"],\s*import\.meta\.url\)/);
    expect(html).not.toMatch(/\bsw\.js\b/);
  });

  it("sets the grader sandbox's CSP, with inline scripts allowed", () => {
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
    expect(meta?.[1]).toBe(GRADER_CSP_INLINE_SCRIPTS);
    expect(meta?.[1]).toContain("'unsafe-inline'");
  });
});

describe.skipIf(!HAVE_CHROMIUM).each([
  { mode: 'cpu', webgpu: false, badge: /^CPU/ },
  // Asked for WebGPU: "auto" would pick the CPU engine over SwiftShader (src/worker/backend-choice.ts).
  { mode: 'webgpu', webgpu: true, badge: WEBGPU_BADGE },
])('the single html file from file:// ($mode)', ({ mode, webgpu, badge }) => {
  let browser: Browser;
  let page: Page;
  let requests: string[];
  let errors: string[];
  const fileUrl = pathToFileURL(resolve(SINGLE_FILE)).href;

  beforeAll(async () => {
    ensureSingleFileBuild();
    browser = await launchChromium(webgpu);
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    if (webgpu) await preferBackend(context, 'webgpu');
    requests = recordRequests(context);
    page = await context.newPage();
    errors = collectErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads and trains', async () => {
    await page.goto(fileUrl);
    expect(await waitUntilReady(page)).toMatch(badge);
    const rft = await trainFor(page, 30);
    expect(rft.length).toBeGreaterThanOrEqual(30);
    expect(rft.every((r) => Number.isFinite(r.reward))).toBe(true);
    await screenshot(page, `single-file-${mode}`);
    expect(errors).toEqual([]);
  });

  it('runs a custom JavaScript grader in its sandbox worker', async () => {
    await page.getByLabel('Grader template').selectOption({ label: 'Custom JavaScript' });
    const editor = page.getByRole('textbox', { name: 'Custom grader source' });
    await editor.waitFor({ timeout: 20_000 });
    // A later declaration replaces the template's grade(): a score no built-in grader would give.
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nfunction grade(sample) { return sample.output_text.length / 8; }');
    await page.getByLabel('Answer to score').fill('abcdef');
    const result = page.getByTestId('bench-result');
    // The edited source reaches the worker after a short debounce: score until it answers with it.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Score' }).click();
          return (await result.textContent({ timeout: 2_000 }).catch(() => ''))?.replace(/\s+/g, ' ').trim();
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBe('score 0.750');
    await trainFor(page, 5);
    expect(errors).toEqual([]);
  });

  it('asked for nothing but itself and its own Blob URLs', () => {
    expect(requests[0]).toBe(fileUrl);
    expect(requests.filter((url) => url !== fileUrl && !/^(blob|data):/.test(url))).toEqual([]);
  });
});
