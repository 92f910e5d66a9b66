/**
 * End-to-end: Export → "Take it to a real model" on the production build
 * writes one zip named after the run, with a README inside, and every file in
 * it is byte for byte what `npm run export` writes for the same config, for
 * both formats and more than one objective. The generator and the zip writer
 * are fetched only when asked for.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { strFromU8, unzipSync } from 'fflate';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../../src/engine/config.ts';
import { encodeShareHash } from '../../../src/share/hash-codec.ts';
import { defaultLanes, defaultTeacher } from '../../../src/share/run-state.ts';
import { HAVE_CHROMIUM, launchChromium } from '../browser.ts';
import { serveStatic, type StaticServer } from '../static-server.ts';
import type {} from '../../../src/ui/debug-hook.ts';

const DIST = 'dist';
const SHOTS = 'test-results';
const run = promisify(execFile);

/** Every file under dir, by its path relative to dir (with "/"), as text. */
function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p).split('\\').join('/')] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(!HAVE_CHROMIUM)('Export → Take it to a real model', () => {
  let server: StaticServer;
  let browser: Browser;
  let work: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error('dist/index.html is missing: run `npm run build` before the e2e tests');
    mkdirSync(SHOTS, { recursive: true });
    work = mkdtempSync(join(tmpdir(), 'real-model-export-'));
    server = await serveStatic(DIST);
    browser = await launchChromium(false);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function open(config: Partial<Config>): Promise<{ page: Page; requests: string[] }> {
    // No service worker: it precaches every chunk for offline use, which would hide when the page itself asks for one.
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true, serviceWorkers: 'block' });
    contexts.push(context);
    const page = await context.newPage();
    // The worker's requests too: the export chunks must wait until someone asks for them.
    const requests: string[] = [];
    context.on('request', (r) => requests.push(new URL(r.url()).pathname));
    const hash = encodeShareHash({ config: { ...defaultConfig(), ...config }, lanes: defaultLanes(), teacher: defaultTeacher() });
    await page.goto(`${server.url}#${hash}`);
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
    await page.waitForFunction(() => window.__rftPlayground.definition() != null, null, { timeout: 20_000 });
    return { page, requests };
  }

  /** Clicks the menu entry and returns the one download it makes: its name and its files. */
  async function exportZip(page: Page, entry: string): Promise<{ name: string; files: Record<string, string> }> {
    await page.getByRole('button', { name: /^Export/ }).click();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.getByRole('button', { name: entry }).click()]);
    const zip = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    const files = Object.fromEntries(Object.entries(zip).map(([path, bytes]) => [path, strFromU8(bytes)]));
    return { name: download.suggestedFilename(), files };
  }

  /** What `npm run export` writes for the page's own config. */
  async function cliExport(page: Page, format: 'openai' | 'trl', tag: string): Promise<Record<string, string>> {
    const config = await page.evaluate(() => window.__rftPlayground.definition()!.config);
    const file = join(work, `${tag}-config.json`);
    writeFileSync(file, JSON.stringify(config));
    const out = join(work, `${tag}-${format}`);
    await run('node_modules/.bin/tsx', ['src/cli/export.ts', '--config', file, '--format', format, '--out', out], { timeout: 120_000 });
    return readTree(out);
  }

  const cases = [
    { tag: 'rft-add', config: { task: 'add', objective: 'rft', seed: 7, steps: 30 } as Partial<Config>, folder: 'add-rft' },
    { tag: 'dpo-reverse', config: { task: 'reverse', objective: 'dpo', seed: 3, steps: 30, dpo: { ...defaultConfig().dpo, loss_type: 'ipo', beta: 0.3 } } as Partial<Config>, folder: 'reverse-dpo' },
  ];

  for (const { tag, config, folder } of cases) {
    it(`${tag}: both zips hold exactly the files npm run export writes, under a folder named after the run`, async () => {
      const { page, requests } = await open(config);
      // A shared run plays by itself to its last step.
      await page.waitForFunction((n) => window.__rftPlayground.progress().step === n && !window.__rftPlayground.progress().playing, config.steps, { timeout: 30_000 });
      expect(requests.filter((p) => /\/assets\/(export|zip)-/.test(p))).toEqual([]);

      for (const [format, entry] of [
        ['openai', 'Take it to a real model: OpenAI job (zip)'],
        ['trl', 'Take it to a real model: TRL script (zip)'],
      ] as const) {
        const zip = await exportZip(page, entry);
        expect(zip.name).toBe(`${folder}-${format}.zip`);
        const cli = await cliExport(page, format, tag);
        // Everything in one folder named like the zip, a README among the files.
        const prefix = `${folder}-${format}/`;
        expect(Object.keys(zip.files).every((p) => p.startsWith(prefix)), Object.keys(zip.files).join(', ')).toBe(true);
        const inZip = Object.fromEntries(Object.entries(zip.files).map(([p, text]) => [p.slice(prefix.length), text]));
        expect(Object.keys(inZip)).toEqual(expect.arrayContaining(['README.md', ...(format === 'openai' ? ['job.json', 'start-job.mjs'] : ['train.py', 'accelerate.yaml'])]));
        expect(Object.keys(inZip).sort()).toEqual(Object.keys(cli).sort());
        for (const path of Object.keys(cli)) expect(inZip[path], `${format} ${path}`).toBe(cli[path]);
      }
      // Loaded on the first export, not before.
      expect(requests.some((p) => /\/assets\/export-/.test(p))).toBe(true);
      await page.screenshot({ path: `${SHOTS}/real-model-export-${tag}.png` });
    });
  }

  it('a run TRL cannot carry over with the same meaning is refused in words, and nothing is downloaded', async () => {
    const { page } = await open({ task: 'reverse', objective: 'dpo', steps: 10, dpo: { ...defaultConfig().dpo, loss_type: 'cdpo', label_smoothing: 0.1 } });
    await page.waitForFunction(() => window.__rftPlayground.progress().step === 10 && !window.__rftPlayground.progress().playing, null, { timeout: 30_000 });
    const downloads: string[] = [];
    page.on('download', (d) => downloads.push(d.suggestedFilename()));
    await page.getByRole('button', { name: /^Export/ }).click();
    await page.getByRole('button', { name: 'Take it to a real model: TRL script (zip)' }).click();
    const notice = page.getByTestId('classroom-notice');
    await notice.waitFor({ timeout: 15_000 });
    expect(await notice.textContent()).toMatch(/could not be exported: dpo\.loss_type: "cdpo" is not a TRL 1\.10 loss/);
    expect(await notice.getAttribute('role')).toBe('alert');
    // The OpenAI job has a DPO method and no such limit: that one still downloads.
    const zip = await exportZip(page, 'Take it to a real model: OpenAI job (zip)');
    expect(zip.name).toBe('reverse-dpo-openai.zip');
    expect(downloads).toEqual(['reverse-dpo-openai.zip']);
  });
});
