/**
 * Custom JS graders in a real browser (Debian's Chromium): Vite bundles the
 * grader module into a tiny page; grading runs in a grading worker, custom code
 * in its QuickJS VM. Checked: scores, line/column of a throw, a timeout that
 * leaves the page responsive and names its sample, bad return values, and that
 * no CSP is needed to keep a grader from loading code from another origin (the
 * page without one is as safe). Syntax errors located by the browser match the
 * positions Node's own parser reports. (The app's own path, from a share link
 * through the consent dialog, is tested in tests/e2e/security/.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { checkSource, GRADER_CSP, type SourceProblem } from '../../src/graders/index.ts';
import { HAVE_CHROMIUM, launchChromium } from '../e2e/browser.ts';
import { serveStatic, type StaticServer } from '../e2e/static-server.ts';

const GRADERS_MODULE = resolve(__dirname, '../../src/graders/index.ts');

const MAIN = `
import { createGrader, locateSourceProblems } from ${JSON.stringify(GRADERS_MODULE)};
window.locate = (source) => locateSourceProblems(source);
window.gradeIn = async (spec, outputs, item) => {
  const g = createGrader(spec);
  try {
    const r = await g.grade(outputs.map((output_text) => ({ output_text })), outputs.map(() => item));
    return { scores: Array.from(r.scores), errors: r.errors, firstError: r.firstError };
  } finally {
    g.dispose?.();
  }
};
window.graderReady = true;
`;

const page = (csp: string | null) =>
  `<!doctype html><html><head><meta charset="utf-8">${csp ? `<meta http-equiv="Content-Security-Policy" content="${csp}">` : ''}` +
  `<title>grader sandbox</title></head><body><script type="module" src="./main.ts"></script></body></html>`;

type Result = { scores: number[]; errors: number; firstError: string | null };

describe.skipIf(!HAVE_CHROMIUM)('custom JS graders in Chromium', () => {
  let dir: string;
  let site: StaticServer;
  let browser: Browser;
  let other: Server;
  let otherHits = 0;
  let otherUrl = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grader-browser-'));
    writeFileSync(join(dir, 'main.ts'), MAIN);
    writeFileSync(join(dir, 'csp.html'), page(GRADER_CSP));
    writeFileSync(join(dir, 'open.html'), page(null));
    await build({
      configFile: false,
      logLevel: 'error',
      root: dir,
      base: './',
      worker: { format: 'es' },
      build: { outDir: join(dir, 'dist'), rollupOptions: { input: { csp: join(dir, 'csp.html'), open: join(dir, 'open.html') } } },
    });
    site = await serveStatic(join(dir, 'dist'));
    // Another origin (another port) serving a module any page may import (CORS allowed): only a CSP can stop it.
    other = createServer((_req, res) => {
      otherHits++;
      res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' }).end('export const leaked = 1;');
    });
    await new Promise<void>((ok) => other.listen(0, '127.0.0.1', ok));
    const a = other.address();
    otherUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/evil.js`;
    browser = await launchChromium(false);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await new Promise<void>((ok) => (other ? other.close(() => ok()) : ok()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(name: 'csp' | 'open'): Promise<Page> {
    const p = await browser.newPage();
    await p.goto(`${site.url}${name}.html`);
    await p.waitForFunction(() => (window as unknown as { graderReady?: boolean }).graderReady === true);
    return p;
  }

  function gradeIn(p: Page, spec: Record<string, unknown>, outputs: string[], item: Record<string, unknown> = { prompt: 'p', reference: '7' }): Promise<Result> {
    return p.evaluate(
      ([s, o, i]) => (window as unknown as { gradeIn: (...a: unknown[]) => Promise<Result> }).gradeIn(s, o, i),
      [spec, outputs, item] as const,
    );
  }

  it('grades, and reports a throw with the grader\'s own line and column', async () => {
    const p = await open('csp');
    const ok = await gradeIn(p, { type: 'js', source: 'function grade(s, item) {\n  return s.output_text === item.reference ? 1 : 0;\n}' }, ['7', '8']);
    expect(ok).toEqual({ scores: [1, 0], errors: 0, firstError: null });
    const thrown = await gradeIn(p, { type: 'js', source: 'function grade(s) {\n  if (s.output_text) {\n    throw new Error("nope");\n  }\n  return 1;\n}' }, ['', 'x']);
    expect(thrown).toEqual({ scores: [1, 0], errors: 1, firstError: 'grader threw on sample 1 at line 3, column 20: Error: nope' });
    const nan = await gradeIn(p, { type: 'js', source: 'function grade() { return NaN; }' }, ['x']);
    expect(nan.firstError).toBe('grader returned NaN; grade() must return a finite number on sample 0');
    await p.close();
  });

  it('an infinite loop times out while the page stays responsive', async () => {
    const p = await open('csp');
    const pending = gradeIn(p, { type: 'js', source: 'function grade(s) {\n  while (s.output_text === "loop") {}\n  return 1;\n}', timeout_ms: 3000 }, ['a', 'b', 'loop', 'c']);
    await new Promise((r) => setTimeout(r, 300));
    // A page blocked by the loop could not answer before the 3 s limit ends it; a free one answers at once
    // (1 s leaves room for a loaded test machine).
    const t0 = Date.now();
    expect(await p.evaluate(() => 6 * 7)).toBe(42);
    expect(Date.now() - t0).toBeLessThan(1000);
    const r = await pending;
    expect(r.errors).toBe(4);
    // The VM stops itself at the deadline and knows the sample it was on.
    expect(r.firstError).toMatch(/^grader timed out on sample 2 \(output_text "loop"\): time limit 3000 ms per batch/);
    const after = await gradeIn(p, { type: 'js', source: 'function grade() { return 1; }' }, ['x']);
    expect(after.scores).toEqual([1]);
    await p.close();
  });

  it('an unbounded allocation stops at the VM\'s memory limit instead of crashing the tab', async () => {
    const p = await open('csp');
    const r = await gradeIn(p, { type: 'js', source: 'var hoard = [];\nfunction grade() { for (;;) hoard.push(new Array(1e5).fill(1)); }', memory_mb: 64, timeout_ms: 60_000 }, ['x', 'y']);
    expect(r.errors).toBe(2);
    expect(r.firstError).toMatch(/^grader ran out of memory \(limit 64 MB\) on sample 0/);
    // The page is still there and grades the next batch.
    expect((await gradeIn(p, { type: 'js', source: 'function grade() { return 1; }' }, ['x'])).scores).toEqual([1]);
    await p.close();
  });

  it('the network is blocked with clear messages, with or without a CSP on the page', async () => {
    for (const name of ['csp', 'open'] as const) {
      const p = await open(name);
      const f = await gradeIn(p, { type: 'js', source: 'function grade() {\n  return fetch("https://example.com/");\n}' }, ['x']);
      expect(f.firstError).toMatch(/^grader threw on sample 0 at line 2, column \d+: Error: network access is blocked in graders: fetch\(\) \(https:\/\/example.com\/\) is not allowed$/);
      const viaImport = { type: 'js', source: `let got = "pending";\nimport(${JSON.stringify(otherUrl)}).then(() => (got = "loaded"), () => (got = "blocked"));\nfunction grade() { return got === "blocked" ? 1 : got === "loaded" ? 2 : 3; }` };
      // The VM has no module loader: the import is refused inside it, whatever the page's CSP.
      expect((await gradeIn(p, viaImport, ['x'])).scores).toEqual([1]);
      await new Promise((r) => setTimeout(r, 300));
      expect(otherHits).toBe(0);
      await p.close();
    }
  });

  it('syntax errors get the same line and column as Node reports, without running the code', async () => {
    const sources = [
      'function grade(sample, item) {\n  return sample.output_text ===;\n}',
      'function grade(s) {\n  return 1;\n',
      'return 1;\nfunction grade() { return 1; }',
      '  let x = 1; let x = 2;\nfunction grade() { return x; }',
      '// strict\n"use strict";\nfunction grade(a, a) { return 1; }',
      'function grade() {\n\treturn 1 +* 2;\n}',
      'const table = { a: 1 };\nconst grade = (s) => table[s.output_text] ?? 0;',
    ];
    const p = await open('csp');
    for (const source of sources) {
      const inBrowser = await p.evaluate((s) => (window as unknown as { locate: (s: string) => Promise<SourceProblem[]> }).locate(s), source);
      expect(inBrowser, source).toEqual(checkSource(source));
    }
    expect(checkSource(sources[0])[0]).toMatchObject({ line: 2, column: 32, message: "SyntaxError: Unexpected token ';'" });
    // A valid source whose top level announces itself: the check compiles it but must not run it.
    const ran = await p.evaluate(async () => {
      const channel = new BroadcastChannel('grader-check-ran');
      let heard = false;
      channel.onmessage = () => (heard = true);
      const source = 'new BroadcastChannel("grader-check-ran").postMessage(1);\nfunction grade() { return 1; }';
      const problems = await (window as unknown as { locate: (s: string) => Promise<unknown[]> }).locate(source);
      await new Promise((r) => setTimeout(r, 500));
      channel.close();
      return { problems, heard };
    });
    expect(ran).toEqual({ problems: [], heard: false });
    await p.close();
  });
});
