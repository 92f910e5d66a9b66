/**
 * Red team, in the browser, the way a student gets the code: the built page
 * served by a plain static server that sends no security headers at all (and
 * the single file over file://). A classmate's share link carries a hostile
 * grader; the student accepts it in the consent dialog. Then:
 * - a loopback listener on another port sees no connection, and the page's
 *   own server gets no request the page itself did not make;
 * - the origin's Cache Storage, IndexedDB, OPFS and localStorage hold nothing
 *   the grader wrote, and the service worker's cached index.html is the real one;
 * - the run trained on the grader's own scores (0.5), unforged;
 * - after a reload the page is itself and the saved work is intact.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/engine/config.ts';
import { encodeShareHash } from '../../../src/share/hash-codec.ts';
import { defaultLanes, defaultTeacher } from '../../../src/share/run-state.ts';
import { HAVE_CHROMIUM, launchChromium } from '../browser.ts';
import { ensureSingleFileBuild, SINGLE_FILE } from '../hosting/single-file-build.ts';
import { serveStatic, type StaticServer } from '../static-server.ts';
import { escapeAttempts } from './hostile-graders.ts';
import type {} from '../../../src/ui/debug-hook.ts';

const POLL = { timeout: 30_000 };

/** A TCP listener that counts every connection, whatever protocol it was meant to carry. */
async function listener(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    connections: () => count,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

interface OriginSnapshot {
  caches: Record<string, string[]>;
  databases: string[];
  opfs: string[] | string;
  local: Record<string, string>;
  cachedIndex: string | null;
}

/** What the origin holds, read by the page itself (not by the grader). */
function snapshot(page: Page): Promise<OriginSnapshot> {
  return page.evaluate(async () => {
    const out: OriginSnapshot = { caches: {}, databases: [], opfs: [], local: {}, cachedIndex: null };
    if (globalThis.caches) {
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        const keys = await cache.keys();
        out.caches[name] = keys.map((r) => r.url).sort();
        const index = keys.find((r) => /index\.html/.test(r.url));
        if (index) out.cachedIndex = await (await cache.match(index))!.text();
      }
    }
    out.databases = (await indexedDB.databases()).map((d) => d.name ?? '').sort();
    try {
      const root = await navigator.storage.getDirectory();
      const names: string[] = [];
      for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
      out.opfs = names;
    } catch (e) {
      out.opfs = `unavailable: ${(e as Error).name}`;
    }
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i)!;
      out.local[k] = localStorage.getItem(k)!;
    }
    return out;
  });
}

function hostileHash(target: string): string {
  const config = { ...defaultConfig(), seed: 3, steps: 20, task: 'reverse', grader: { type: 'js', name: 'hostile', source: escapeAttempts(target, '/etc/hostname') } };
  return encodeShareHash({ config: config as never, lanes: defaultLanes(), teacher: defaultTeacher() });
}

async function acceptAndTrain(page: Page): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'This link carries grader code' });
  await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
  await dialog.getByRole('button', { name: 'Run this code' }).click();
  await expect.poll(() => page.evaluate(() => window.__rftPlayground.definition()?.config.grader?.type), POLL).toBe('js');
  // Accepting starts the run by itself.
  let why = '';
  await expect
    .poll(async () => {
      const p = await page.evaluate(() => window.__rftPlayground.progress());
      // A run that stopped says why: keep it for the failure message.
      if (!p.playing && p.step < 20) why = `stopped at step ${p.step}: ${(await page.locator('[role=status], [role=alert]').allTextContents()).join(' | ')}`;
      return p.step;
    }, { timeout: 60_000, message: 'the run should train 20 steps' })
    .toBeGreaterThanOrEqual(20)
    .catch((e: Error) => {
      throw new Error(`${e.message}; ${why}`);
    });
}

const ready = (page: Page) => page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 30_000 });

/** The RFT lane trained on exactly the grader's 0.5, with no grader error and no forged number. */
async function expectHonestScores(page: Page): Promise<void> {
  const rft = await page.evaluate(() => window.__rftPlayground.metrics().rft);
  expect(rft.length).toBeGreaterThanOrEqual(20);
  for (const r of rft.slice(0, 20)) {
    expect(r.reward).toBe(0.5);
    expect(r.grader_errors).toBe(0);
  }
}

describe.skipIf(!HAVE_CHROMIUM)('a hostile grader on the served page (no CSP header from the server)', () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let outside: Awaited<ReturnType<typeof listener>>;

  beforeAll(async () => {
    if (!existsSync('dist/index.html')) throw new Error('dist/index.html is missing: run `npm run build` before the e2e tests');
    server = await serveStatic('dist');
    outside = await listener();
    browser = await launchChromium(false);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await outside?.close();
  });

  it('reaches nothing, changes no storage, forges no score, and the page survives a reload', async () => {
    const started = Date.now();
    const page = await context.newPage();
    await page.goto(server.url);
    await ready(page);
    // Let the service worker install and precache, so there is a cached index.html to protect.
    await page.evaluate(() => navigator.serviceWorker?.ready);
    await expect.poll(async () => (await snapshot(page)).cachedIndex !== null, POLL).toBe(true);
    const before = await snapshot(page);
    const pageRequests = server.requests.length;

    // Both a cross-origin target and the page's own server.
    for (const target of [outside.url, `${server.url}attack/`]) {
      // A link opened afresh: a hash change alone is not a new visit.
      await page.goto(`${server.url}#${hostileHash(target)}`);
      await page.reload();
      await ready(page);
      await acceptAndTrain(page);
      await expectHonestScores(page);
      await page.getByRole('button', { name: 'Pause', exact: true }).click().catch(() => undefined);
    }
    await page.waitForTimeout(1500);

    expect(outside.connections()).toBe(0);
    expect(server.requests.slice(pageRequests).filter((p) => p.includes('attack') || p.includes('evil'))).toEqual([]);
    const after = await snapshot(page);
    // The service worker's own precache, and nothing else: no new cache, no entry that is not a file of dist/.
    expect(Object.keys(after.caches)).toEqual(Object.keys(before.caches));
    for (const urls of Object.values(after.caches)) {
      for (const url of urls) expect(existsSync(`dist${new URL(url).pathname}`), url).toBe(true);
    }
    expect(after.cachedIndex).not.toMatch(/evil|attack/);
    // (Equal to the file itself unless dist/ was rebuilt while the test ran, which only happens on a developer's machine.)
    if (statSync('dist/index.html').mtimeMs < started) expect(after.cachedIndex).toBe(readFileSync('dist/index.html', 'utf8'));
    expect(after.databases).toEqual(before.databases);
    expect(after.opfs).toEqual(before.opfs);
    expect(Object.keys(after.local).filter((k) => k.includes('evil'))).toEqual([]);

    // Reload: the page is itself (no injected script), and the saved work (the consented grader, the seed) is there.
    const saved = after.local;
    await page.reload();
    await ready(page);
    expect(await page.title()).toBe('RFT Playground');
    expect(await page.evaluate(() => (window as unknown as { evil?: unknown }).evil)).toBeUndefined();
    const def = await page.evaluate(() => window.__rftPlayground.definition());
    expect(def?.config.seed).toBe(3);
    expect(def?.config.grader?.type).toBe('js');
    const reloaded = await snapshot(page);
    for (const key of Object.keys(saved)) expect(Object.keys(reloaded.local)).toContain(key);
    expect(outside.connections()).toBe(0);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('a hostile grader in the single file over file://', () => {
  let browser: Browser;
  let outside: Awaited<ReturnType<typeof listener>>;

  beforeAll(async () => {
    ensureSingleFileBuild();
    outside = await listener();
    browser = await launchChromium(false);
  });

  afterAll(async () => {
    await browser?.close();
    await outside?.close();
  });

  it('reaches nothing and forges no score', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    const page = await context.newPage();
    await page.goto(`${pathToFileURL(resolve(SINGLE_FILE)).href}#${hostileHash(outside.url)}`);
    await ready(page);
    await acceptAndTrain(page);
    await expectHonestScores(page);
    await page.waitForTimeout(1000);
    expect(outside.connections()).toBe(0);
    // Only the file itself and the Blob/data URLs the page makes for its workers.
    expect(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
    await context.close();
  });
});
