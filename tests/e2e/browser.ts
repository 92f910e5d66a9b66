/** Launches Debian's Chromium through playwright-core with the flags that work on these machines (see WEBGPU.md). */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type {} from '../../src/ui/debug-hook.ts';
import { afterAll, beforeAll } from 'vitest';
import { serveStatic, type StaticServer } from './static-server.ts';
import { WORK_KEY } from '../../src/share/storage.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

const BASE_FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(webgpu: boolean): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: webgpu ? [...BASE_FLAGS, '--enable-unsafe-webgpu'] : BASE_FLAGS,
  });
}

/**
 * Makes every page of `context` start with `backend` as the user's choice (saved work the page loads at
 * start, written only when the profile has none): "auto" trains on the CPU over SwiftShader, so the
 * WebGPU-mode tests ask for WebGPU to exercise the WGSL path. Lesson presets and the guided run keep it.
 */
export async function preferBackend(context: BrowserContext, backend: 'webgpu' | 'cpu'): Promise<void> {
  const work = JSON.stringify({ version: 1, config: { backend }, lanes: { rft: true, dpo: true, sft: true }, graderCode: null, imported: [] });
  await context.addInitScript(
    ({ key, value }) => {
      try {
        if (localStorage.getItem(key) === null) localStorage.setItem(key, value);
      } catch {
        // No storage (opaque origin): the page opens on auto.
      }
    },
    { key: WORK_KEY, value: work },
  );
}

/** What the badge says when WebGPU really trains (SwiftShader's adapter in these tests). */
export const WEBGPU_BADGE = /^WebGPU\b/;

/**
 * The built page (dist/, from `npm run build`) on a plain static server, and a
 * headless Chromium, for the tests of one describe block: started before them,
 * closed after, with every browser context the tests opened.
 */
export function builtPage(options: { webgpu?: boolean } = {}): {
  readonly server: StaticServer;
  readonly browser: Browser;
  newContext(o?: BrowserContextOptions): Promise<BrowserContext>;
} {
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    if (!existsSync('dist/index.html')) throw new Error('dist/index.html is missing: run `npm run build` before the e2e tests');
    mkdirSync('test-results', { recursive: true });
    server = await serveStatic('dist');
    browser = await launchChromium(options.webgpu ?? false);
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });
  return {
    get server() {
      return server!;
    },
    get browser() {
      return browser!;
    },
    async newContext(o) {
      const context = await browser!.newContext(o);
      contexts.push(context);
      return context;
    },
  };
}

/**
 * A page of the built site in a new context that prefers `backend` (as a returning user's saved choice),
 * with uncaught errors and console errors collected in `errors`, loaded until the backend badge shows.
 */
export async function openPlayground(site: ReturnType<typeof builtPage>, backend: 'webgpu' | 'cpu', errors: string[], viewport = { width: 1400, height: 1000 }): Promise<{ page: Page; context: BrowserContext }> {
  const context = await site.newContext({ viewport });
  await preferBackend(context, backend);
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(site.server.url);
  await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 30_000 });
  return { page, context };
}
