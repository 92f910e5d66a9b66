/**
 * End-to-end: the served build (dist/, from `npm run build`) hosted the way a
 * school would, under a sub-path of a plain static server, in Debian's Chromium.
 * 1. It loads and trains, and every request goes to that server, under that sub-path.
 * 2. After that one visit, with the server stopped, a reload still loads and trains
 *    (the service worker serves everything).
 * 3. A new version copied onto the server is fetched on the next online visit
 *    without disturbing a tab that is training, and shown once that tab is closed.
 * RFT_HOSTING_DIST=<folder> tests another build of the same sources.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HAVE_CHROMIUM, launchChromium } from '../browser.ts';
import { serveUnderSubPath, type SubPathServer } from './sub-path-server.ts';
import { defaultConfig } from '../../../src/engine/config.ts';
import { encodeShareHash } from '../../../src/share/hash-codec.ts';
import { defaultLanes, defaultTeacher } from '../../../src/share/run-state.ts';
import { collectErrors, recordRequests, screenshot, trainFor, waitUntilReady } from './drive.ts';

const DIST = process.env.RFT_HOSTING_DIST ?? 'dist';
const SUB_PATH = '/course/rft/';
if (!HAVE_CHROMIUM) console.warn('hosting e2e tests skipped: /usr/bin/chromium is not installed (apt-get install chromium libvulkan1)');

/** The scope of the page's active service worker, or null if none became active within 20 s. */
function activeServiceWorkerScope(page: Page): Promise<string | null> {
  return page.evaluate(async () => {
    const ready = navigator.serviceWorker.getRegistration().then((r) => (r ? navigator.serviceWorker.ready.then((x) => x.scope) : null));
    return Promise.race([ready, new Promise<null>((ok) => setTimeout(() => ok(null), 20_000))]);
  });
}

async function expectActiveServiceWorker(page: Page, scope: string): Promise<void> {
  const active = await activeServiceWorkerScope(page);
  if (active === null) throw new Error('no active service worker after the first visit: does src/main.ts call registerServiceWorker() from src/pwa/register.ts?');
  expect(active).toBe(scope);
}

describe.skipIf(!HAVE_CHROMIUM)(`${DIST}/ served under ${SUB_PATH}`, () => {
  let browser: Browser;

  beforeAll(async () => {
    for (const file of ['index.html', 'sw.js', 'manifest.webmanifest']) {
      if (!existsSync(`${DIST}/${file}`)) throw new Error(`${DIST}/${file} is missing: run \`npm run build\` before the hosting tests`);
    }
    browser = await launchChromium(false);
  });

  afterAll(async () => {
    await browser?.close();
  });

  describe('one visit, then offline', () => {
    let server: SubPathServer;
    let context: BrowserContext;
    let page: Page;
    let requests: string[];
    let errors: string[];
    // Service worker fetches included (the precache): everything must go to the one origin.
    const expectOnlyOwnOrigin = () => expect(requests.filter((url) => !url.startsWith(`${server.origin}/`) && !/^(blob|data):/.test(url))).toEqual([]);

    beforeAll(async () => {
      server = await serveUnderSubPath(DIST, SUB_PATH);
      context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      requests = recordRequests(context);
      page = await context.newPage();
      errors = collectErrors(page);
    });

    afterAll(async () => {
      await context?.close();
      await server?.stop();
    });

    it('loads and trains, and asks nothing of anyone but its own server and folder', async () => {
      // Without the trailing slash, as a teacher would type it: the server redirects, as real ones do.
      await page.goto(server.url.slice(0, -1));
      expect(page.url()).toBe(server.url);
      expect(await waitUntilReady(page)).toMatch(/^CPU/);
      const rft = await trainFor(page, 30);
      expect(rft.length).toBeGreaterThanOrEqual(30);
      expect(rft.every((r) => Number.isFinite(r.reward))).toBe(true);
      await screenshot(page, 'sub-path');

      await expectActiveServiceWorker(page, server.url);
      expectOnlyOwnOrigin();
      const outsideFolder = server.requests.filter((r) => !r.startsWith(`GET ${SUB_PATH}`) && r !== `GET ${SUB_PATH.slice(0, -1)}`);
      expect(outsideFolder).toEqual([]);
      // The training worker and the manifest came from the folder too (relative URLs all the way down).
      expect(server.requests.some((r) => /\/assets\/training\.worker-[\w-]+\.js$/.test(r))).toBe(true);
      expect(server.requests).toContain(`GET ${SUB_PATH}manifest.webmanifest`);
      expect(errors).toEqual([]);
    });

    it('after that one visit, loads and trains again with the server stopped', async () => {
      await server.stop();
      const served = server.requests.length;
      await expect(fetch(server.url)).rejects.toThrow();

      await page.reload();
      expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
      expect(await waitUntilReady(page)).toMatch(/^CPU/);
      const rft = await trainFor(page, 30);
      expect(rft.at(-1)!.step).toBeGreaterThanOrEqual(30);
      await screenshot(page, 'offline');

      // A fresh tab, as the next lesson would open it, works too.
      const again = await context.newPage();
      await again.goto(server.url);
      expect(await waitUntilReady(again)).toMatch(/^CPU/);
      await trainFor(again, 5);
      // A navigation inside the folder with a query (a link from a course page, say) gets the cached page too.
      await again.goto(`${server.url}?from=lesson-2`);
      expect(await waitUntilReady(again)).toMatch(/^CPU/);

      // Custom grader code offline: its engine (a wasm file) comes from the offline copy too.
      const hash = encodeShareHash({ config: { ...defaultConfig(), steps: 5, grader: { type: 'js', name: 'half', source: 'function grade() { return 0.5; }' } } as never, lanes: defaultLanes(), teacher: defaultTeacher() });
      const custom = await context.newPage();
      await custom.goto(`${server.url}#${hash}`);
      await waitUntilReady(custom);
      await custom.getByRole('button', { name: 'Run this code' }).click();
      await expect.poll(() => custom.evaluate(() => window.__rftPlayground.progress().step), { timeout: 30_000 }).toBe(5);
      expect((await custom.evaluate(() => window.__rftPlayground.metrics().rft)).map((m) => m.reward)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);

      expect(server.requests.length).toBe(served);
      expectOnlyOwnOrigin();
      expect(errors).toEqual([]);
    });
  });

  describe('a new version on the server', () => {
    let server: SubPathServer;
    let context: BrowserContext;
    let nextVersion: string;
    const MARKER = '<meta name="rft-test-version" content="2">';

    beforeAll(async () => {
      // Version 2: the same build with a visible change in index.html and, as any rebuild
      // would have, a new revision for it in the service worker's precache list.
      nextVersion = mkdtempSync(join(tmpdir(), 'rft-next-version-'));
      cpSync(DIST, nextVersion, { recursive: true });
      writeFileSync(join(nextVersion, 'index.html'), readFileSync(join(DIST, 'index.html'), 'utf8').replace('</head>', `${MARKER}</head>`));
      const sw = readFileSync(join(nextVersion, 'sw.js'), 'utf8');
      const bumped = sw.replace(/(\{"revision":")[0-9a-f]+(","url":"index\.html"\})/, '$1feedfacefeedfacefeedfacefeedface$2');
      if (bumped === sw) throw new Error(`${DIST}/sw.js does not list index.html with a revision: the precache format changed, update this test`);
      writeFileSync(join(nextVersion, 'sw.js'), bumped);
      server = await serveUnderSubPath(DIST, SUB_PATH);
      context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    });

    afterAll(async () => {
      await context?.close();
      await server?.stop();
      if (nextVersion) rmSync(nextVersion, { recursive: true, force: true });
    });

    it('is downloaded on the next online visit, leaves a training tab alone, and shows once that tab is closed', async () => {
      const training = await context.newPage();
      const errors = collectErrors(training);
      await training.goto(server.url);
      await waitUntilReady(training);
      await expectActiveServiceWorker(training, server.url);
      await training.reload(); // now controlled by version 1's service worker
      await waitUntilReady(training);
      // Slowly, so the run is still going (its budget is 300 steps) when version 2 has arrived.
      await training.getByLabel('Speed').selectOption({ label: '10 steps/s' });
      await training.getByRole('button', { name: 'Play', exact: true }).click();
      const stepOf = (page: Page) => page.evaluate(() => window.__rftPlayground.progress().step);
      await training.waitForFunction(() => window.__rftPlayground.progress().step >= 3);

      server.replaceFolder(nextVersion);
      // A second visit while the first tab trains: the browser checks sw.js and installs version 2 in the background.
      const visit = await context.newPage();
      await visit.goto(server.url);
      await waitUntilReady(visit);
      const waiting = await visit.evaluate(async () => {
        const registration = (await navigator.serviceWorker.getRegistration())!;
        await registration.update();
        const deadline = Date.now() + 20_000;
        while (!registration.waiting && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
        return registration.waiting?.state ?? null;
      });
      expect(waiting).toBe('installed');
      // Both tabs still run version 1, and the training tab has gone on training all along.
      for (const page of [training, visit]) expect(await page.content()).not.toContain('rft-test-version');
      const stepWhenInstalled = await stepOf(training);
      await training.waitForFunction((s) => window.__rftPlayground.progress().step >= s + 3, stepWhenInstalled);
      expect(await training.evaluate(() => window.__rftPlayground.progress().playing)).toBe(true);
      expect(errors).toEqual([]);

      await visit.close();
      await training.close();
      // With no tab left, the waiting version activates, a moment later. Watch it from a page of
      // the same origin outside the playground's folder (a 404 page), which is not one of its tabs.
      const probe = await context.newPage();
      await probe.goto(`${server.origin}/not-the-playground`);
      const activated = await probe.evaluate(async (scope) => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const registration = await navigator.serviceWorker.getRegistration(scope);
          if (registration && !registration.waiting && !registration.installing && registration.active?.state === 'activated') return true;
          if (Date.now() > deadline) return false;
          await new Promise((ok) => setTimeout(ok, 100));
        }
      }, server.url);
      expect(activated).toBe(true);
      await probe.close();
      const next = await context.newPage();
      await next.goto(server.url);
      await waitUntilReady(next);
      expect(await next.content()).toContain('rft-test-version');
      await trainFor(next, 5);
    });
  });
});
