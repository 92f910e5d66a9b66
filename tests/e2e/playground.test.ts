/**
 * End-to-end: the production build (dist/, from `npm run build`) served on
 * 127.0.0.1 and driven in Debian's Chromium the way a person would, by roles
 * and labels. Run twice: with WebGPU enabled and without (CPU fallback).
 * Screenshots go to test-results/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { HAVE_CHROMIUM, launchChromium, preferBackend, WEBGPU_BADGE } from './browser.ts';
import { serveStatic, type StaticServer } from './static-server.ts';
// The page's hook type, and its declaration on `window`.
import type {} from '../../src/ui/debug-hook.ts';

const DIST = 'dist';
const SHOTS = 'test-results';
if (!HAVE_CHROMIUM) console.warn('e2e tests skipped: /usr/bin/chromium is not installed (apt-get install chromium libvulkan1)');

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.skipIf(!HAVE_CHROMIUM).each([
  { mode: 'cpu', webgpu: false },
  { mode: 'webgpu', webgpu: true },
])('playground page ($mode mode)', ({ mode, webgpu }) => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];

  const step = () => page.evaluate(() => window.__rftPlayground.progress().step);
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/e2e-${mode}-${name}.png`, fullPage: true });

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error('dist/index.html is missing: run `npm run build` before the e2e tests');
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium(webgpu);
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    // WebGPU mode asks for WebGPU: "auto" would train on the CPU over SwiftShader and skip the WGSL path.
    if (webgpu) await preferBackend(context, 'webgpu');
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    // Workers' requests included: everything must come from the local server (or blob:/data: URLs it made).
    page.context().on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(server.url) && !/^(blob|data):/.test(url)) foreignRequests.push(url);
    });
    await page.goto(server.url);
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads with a backend badge and the controls people look for', async () => {
    const badge = await page.getByTestId('backend-badge').textContent();
    if (webgpu) expect(badge).toMatch(WEBGPU_BADGE);
    else expect(badge).toMatch(/^CPU — no WebGPU adapter/);
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.config.backend)).toBe(webgpu ? 'webgpu' : 'auto');
    for (const name of ['Play', 'Step', 'Reset', 'Lessons']) await page.getByRole('button', { name, exact: true }).waitFor({ state: 'visible', timeout: 15_000 });
    await page.getByLabel('Speed').waitFor({ state: 'visible', timeout: 15_000 });
    await page.getByLabel('Task', { exact: true }).waitFor({ state: 'visible', timeout: 15_000 });
  });

  it.runIf(webgpu)('on SwiftShader, auto picks the CPU engine (faster for this run) and says why', async () => {
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await fresh.goto(server.url);
    await fresh.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
    expect(await fresh.evaluate(() => window.__rftPlayground.definition()?.config.backend)).toBe('auto');
    expect(await fresh.getByTestId('backend-badge').textContent()).toMatch(/^CPU — faster here: WebGPU is (SwiftShader|a fallback adapter), a software GPU, and this run samples [\d,]+ answers a step/);
    await fresh.close();
  });

  it('plays a few hundred steps and the RFT reward rises in the chart data', async () => {
    await page.getByLabel('Speed').selectOption({ label: 'max' });
    await page.getByRole('button', { name: 'Play' }).click();
    // The run stops by itself at the config's 300 steps and says so.
    await page.waitForFunction(() => window.__rftPlayground.progress().step === 300 && !window.__rftPlayground.progress().playing, null, { timeout: 60_000 });
    await page.getByText(/Finished 300 steps/).waitFor({ state: 'visible', timeout: 15_000 });
    await shot('trained');
    const reward = await page.evaluate(() => window.__rftPlayground.chartData('reward'));
    const rft = reward!.find((d) => d.label === 'RFT')!.points;
    expect(rft.length).toBe(300);
    // One point per step, in order, none lost in batching.
    expect(rft.map((p) => p.x)).toEqual(Array.from({ length: rft.length }, (_, i) => i + 1));
    const early = mean(rft.slice(0, 10).map((p) => p.y));
    const late = mean(rft.slice(-10).map((p) => p.y));
    expect(early).toBeLessThan(0.1);
    expect(late).toBeGreaterThan(0.8);
    // All three lanes ran in lockstep.
    const m = await page.evaluate(() => window.__rftPlayground.metrics());
    expect(m.dpo.length).toBe(m.rft.length);
    expect(m.sft.length).toBe(m.rft.length);
  });

  it('Pause holds, Step advances one step, Reset clears', async () => {
    const paused = await step();
    await page.waitForTimeout(400);
    expect(await step()).toBe(paused);
    await page.getByRole('button', { name: 'Play' }).waitFor({ state: 'visible', timeout: 15_000 });
    // The run is finished: Step does not pass the end, it says so.
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.getByText(/Finished 300 steps/).waitFor({ state: 'visible', timeout: 15_000 });
    expect(await step()).toBe(paused);
    // Raising Steps lets Step go on.
    const stepsBox = page.getByLabel('Steps', { exact: true });
    await stepsBox.fill('400');
    await stepsBox.press('Enter');
    await page.waitForFunction(() => window.__rftPlayground.progress().steps === 400);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.waitForFunction((s) => window.__rftPlayground.progress().step === s + 1, paused);
    expect((await page.evaluate(() => window.__rftPlayground.metrics())).rft.at(-1)!.step).toBe(paused + 1);
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step === 0);
    expect((await page.evaluate(() => window.__rftPlayground.chartData('reward')))!.filter((d) => !d.ghost).every((d) => d.points.length === 0)).toBe(true);
    // ... while the finished run stays on the chart as a ghost.
    expect((await page.evaluate(() => window.__rftPlayground.chartData('reward')))!.some((d) => d.ghost && d.points.length > 0)).toBe(true);
    expect(await page.getByTestId('step-counter').textContent()).toBe('0');
  });

  it('a knob changed mid-run takes effect at the next steps', async () => {
    await page.getByLabel('Speed').selectOption({ label: '30 steps/s' });
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step >= 10);
    // 8 prompts × 32 candidates per step, then 8 × 4 after the change.
    const generations = page.getByLabel('Generations per prompt');
    await generations.fill('4');
    await generations.press('Enter');
    const changedAt = await step();
    await page.waitForFunction((s) => window.__rftPlayground.progress().step >= s + 10, changedAt);
    await page.getByRole('button', { name: 'Pause' }).click();
    const rft = (await page.evaluate(() => window.__rftPlayground.metrics())).rft;
    const drawnPerStep = rft.slice(1).map((r, i) => r.samples_drawn - rft[i].samples_drawn);
    expect(drawnPerStep[0]).toBe(256);
    expect(drawnPerStep.at(-1)).toBe(32);
    expect(await page.evaluate(() => window.__rftPlayground.definition()!.config.num_generations)).toBe(4);
    // A shape change waits for Reset and says so.
    await page.getByLabel('Policy kind').selectOption('autoregressive');
    await page.getByText(/Policy kind needs a reset/).waitFor({ state: 'visible', timeout: 15_000 });
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step === 0);
    await expect(page.getByText(/needs a reset/).count()).resolves.toBe(0);
  });

  it('a grader with a syntax error shows its message and training goes on', async () => {
    await page.getByLabel('Grader template').selectOption({ label: 'Custom JavaScript' });
    const editor = page.getByRole('textbox', { name: 'Custom grader source' });
    await editor.waitFor({ timeout: 20_000 });
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nfunction broken( {');
    const problems = page.getByRole('alert', { name: 'Grader problems' });
    await problems.waitFor({ timeout: 10_000 });
    expect(await problems.textContent()).toMatch(/line 7, column \d+: SyntaxError/);
    // The inline marker: an underlined range in the text and a marker in the gutter, and the editor itself says so.
    await page.locator('.code-editor-highlight .js-error').first().waitFor({ timeout: 5_000 });
    expect(await page.locator('.code-editor-gutter .problem').allTextContents()).toEqual(['7']);
    await expect(editor.getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await editor.evaluate((el) => (el.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent).join(' '))).toMatch(/Line 7, column \d+: SyntaxError/);
    await shot('grader-error');
    const before = await step();
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.waitForFunction((s) => window.__rftPlayground.progress().step === s + 1, before);
    // The bench still scores with the grader in use (exact match): "cba" answers "abc" only.
    await page.getByLabel('Answer to score').fill('zzz');
    await page.getByRole('button', { name: 'Score' }).click();
    await expect(page.getByTestId('bench-result').textContent()).resolves.toMatch(/score 0\.000/);
  });

  it('the grader editor edits like a code editor: indenting Enter, deletion, undo, colours', async () => {
    const editor = page.getByRole('textbox', { name: 'Custom grader source' });
    const doc = () => editor.inputValue();
    await editor.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Backspace');
    expect(await doc()).toBe('');
    await page.keyboard.type('function grade(s) {');
    await page.keyboard.press('Enter');
    await page.keyboard.type('return 1;');
    await page.keyboard.press('Enter');
    // Enter indented after "{" and kept the indent on the next line; Backspace takes it back one character at a time.
    expect(await doc()).toBe('function grade(s) {\n  return 1;\n  ');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('}');
    expect(await doc()).toBe('function grade(s) {\n  return 1;\n}');
    // A valid grader again: the problems list goes away.
    await page.getByRole('alert', { name: 'Grader problems' }).waitFor({ state: 'detached', timeout: 10_000 });
    await page.keyboard.press('Control+Backspace');
    expect(await doc()).toBe('function grade(s) {\n  return 1;\n');
    await page.keyboard.press('Control+z');
    expect(await doc()).toBe('function grade(s) {\n  return 1;\n}');
    await page.keyboard.press('Home');
    await page.keyboard.press('Delete');
    expect(await doc()).toBe('function grade(s) {\n  return 1;\n');
    await page.keyboard.press('Control+z');
    expect(await doc()).toBe('function grade(s) {\n  return 1;\n}');
    expect(await page.locator('.code-editor-highlight .js-keyword').allTextContents()).toEqual(['function', 'return']);
    expect(await page.locator('.code-editor-highlight .js-number').allTextContents()).toEqual(['1']);
  });

  it('importing a malformed JSONL file shows its message', async () => {
    await page.getByLabel('Import JSONL files').setInputFiles({ name: 'broken.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from('{"messages": [}\n') });
    const alert = page.getByRole('alert', { name: 'Import problems' });
    await alert.waitFor({ timeout: 10_000 });
    expect(await alert.textContent()).toMatch(/broken\.jsonl.*line 1/);
    await shot('import-error');
    // The run is untouched.
    const before = await step();
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.waitForFunction((s) => window.__rftPlayground.progress().step === s + 1, before);
  });

  it('a JSONL file dropped on the page becomes the task', async () => {
    const lines = ['ab', 'ba', 'aab', 'abb']
      .map((p) => JSON.stringify({ messages: [{ role: 'user', content: p }, { role: 'assistant', content: [...p].reverse().join('') }] }))
      .join('\n');
    const transfer = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'mine.jsonl', { type: 'application/jsonl' }));
      return dt;
    }, lines);
    await page.getByRole('group', { name: 'Drop JSONL files here' }).dispatchEvent('drop', { dataTransfer: transfer });
    // A run in progress keeps its data: the files wait for Reset, and the page says so.
    await page.getByText(/Task needs a reset/).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.getByText('Training on: mine.jsonl').waitFor({ timeout: 10_000 });
    expect(await page.getByRole('radiogroup', { name: 'Prompts' }).getByRole('radio').allTextContents()).toEqual(['ab', 'ba', 'aab', 'abb']);
    // No preference pairs in an SFT file: the DPO lane is switched off and says why.
    await page.getByText(/Off: .*preference pairs/).waitFor({ state: 'visible', timeout: 15_000 });
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step === 1);
    await shot('imported');
  });

  it('stacks the lanes on a narrow screen', async () => {
    await page.setViewportSize({ width: 600, height: 1000 });
    const boxes = await Promise.all(['RFT', 'DPO', 'SFT'].map((n) => page.getByRole('region', { name: n, exact: true }).boundingBox()));
    expect(boxes.every((b) => b !== null)).toBe(true);
    expect(boxes[1]!.y).toBeGreaterThan(boxes[0]!.y + boxes[0]!.height - 1);
    expect(boxes[2]!.y).toBeGreaterThan(boxes[1]!.y + boxes[1]!.height - 1);
    expect(Math.abs(boxes[1]!.x - boxes[0]!.x)).toBeLessThan(2);
    await shot('narrow');
    await page.setViewportSize({ width: 1400, height: 1000 });
  });

  it('sent no request beyond 127.0.0.1 and logged no console error', () => {
    expect(foreignRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
