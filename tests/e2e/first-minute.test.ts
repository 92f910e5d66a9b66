/**
 * End-to-end, both backends: the first screen explains itself and offers a guided run whose lanes end
 * apart; task changes at step 0 apply at once; lesson presets show their grader and eval graders, gate
 * their results on the run, and hand the playground back; phones keep Play reachable; the projector's
 * reward chart is large. Screenshots of the first screen go to test-results/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { HAVE_CHROMIUM, launchChromium, preferBackend, WEBGPU_BADGE } from './browser.ts';
import { serveStatic, type StaticServer } from './static-server.ts';
import type {} from '../../src/ui/debug-hook.ts';

const DIST = 'dist';
const SHOTS = 'test-results';
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.skipIf(!HAVE_CHROMIUM).each([
  { mode: 'cpu', webgpu: false },
  { mode: 'webgpu', webgpu: true },
])('the first minute ($mode mode)', ({ mode, webgpu }) => {
  let server: StaticServer;
  let browser: Browser;
  const errors: string[] = [];

  async function open(viewport: { width: number; height: number }, scheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await browser.newContext({ viewport, colorScheme: scheme });
    // WebGPU mode trains on WebGPU (auto would pick the CPU over SwiftShader); presets and the guided run keep it.
    if (webgpu) await preferBackend(context, 'webgpu');
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(server.url);
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
    return page;
  }
  const inViewport = async (page: Page, name: string | RegExp) => {
    const box = await page.getByText(name).first().boundingBox();
    const vp = page.viewportSize()!;
    return box !== null && box.y >= 0 && box.y + box.height <= vp.height && box.x >= 0 && box.x + box.width <= vp.width;
  };

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error('dist/index.html is missing: run `npm run build` before the e2e tests');
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium(webgpu);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('at 1280×800 the first screen says what each lane does and offers the guided run; a task change at step 0 applies at once', async () => {
    const page = await open({ width: 1280, height: 800 });
    await page.screenshot({ path: `${SHOTS}/first-minute-${mode}-desktop.png` });
    for (const line of [/RFT writes its own answers/, /SFT copies worked answers/, /DPO is shown pairs of answers/]) expect(await inViewport(page, line), String(line)).toBe(true);
    const guided = page.getByRole('button', { name: /Watch three ways to teach a model/ });
    expect(await guided.isVisible()).toBe(true);
    expect(await inViewport(page, /Watch three ways to teach a model/)).toBe(true);
    // The badge says which backend and why, in words.
    const badge = (await page.getByTestId('backend-badge').textContent()) ?? '';
    expect(badge).toMatch(webgpu ? WEBGPU_BADGE : /^CPU — no WebGPU adapter/);

    const prompts = () => page.getByRole('radiogroup', { name: 'Prompts' }).getByRole('radio').allTextContents();
    const before = await prompts();
    await page.getByLabel('Task', { exact: true }).selectOption({ label: 'Sort' });
    await page.waitForFunction((old) => {
      const chips = [...document.querySelectorAll('[role=radiogroup] [role=radio]')].map((b) => b.textContent);
      return chips.join() !== old;
    }, before.join(), { timeout: 15_000 });
    expect(await prompts()).not.toEqual(before);
    expect(await page.getByText(/needs a reset/).count()).toBe(0);
    expect(await page.getByText(/Sort 3–5 digits|sort/i).first().isVisible()).toBe(true);
    await page.context().close();
  });

  it('the guided run shows the three objectives ending apart', async () => {
    const page = await open({ width: 1280, height: 800 });
    await page.getByRole('button', { name: /Watch three ways to teach a model/ }).click();
    await page.getByTestId('guide-cue').waitFor({ state: 'visible', timeout: 20_000 });
    await page.getByLabel('Speed').selectOption({ label: 'max' });
    await page.waitForFunction(() => window.__rftPlayground.progress().step === 300 && !window.__rftPlayground.progress().playing, null, { timeout: 120_000 });
    await page.getByTestId('guide-result').waitFor({ state: 'visible', timeout: 15_000 });
    const m = await page.evaluate(() => window.__rftPlayground.metrics());
    const end = (lane: 'rft' | 'dpo' | 'sft') => mean(m[lane].slice(-20).map((r) => r.reward));
    expect(end('rft')).toBeGreaterThan(0.95);
    expect(end('rft') - end('sft')).toBeGreaterThan(0.15);
    expect(end('sft') - end('dpo')).toBeGreaterThan(0.1);
    await page.screenshot({ path: `${SHOTS}/first-minute-${mode}-guided.png` });
    // The guided run trained where the user asked (WebGPU mode: on WebGPU, not auto's CPU).
    if (webgpu) expect(await page.getByTestId('backend-badge').textContent()).toMatch(WEBGPU_BADGE);
    // The guided run gives the playground back.
    await page.getByRole('button', { name: 'Return to my setup' }).click();
    await page.waitForFunction(() => window.__rftPlayground.definition()?.config.task === 'reverse', null, { timeout: 15_000 });
    await page.context().close();
  });

  it('lessons: result text waits for the run, presets name their grader and chart eval graders, and leaving gives the setup back', async () => {
    const page = await open({ width: 1400, height: 900 });
    await page.getByRole('button', { name: 'Lessons', exact: true }).click();
    await page.getByRole('button', { name: /^Lesson 1:/ }).click();
    await page.getByRole('button', { name: /^Load preset/ }).first().click();
    await page.getByText(/press Play in the top bar/).waitFor({ timeout: 20_000 });
    const prediction = page.getByRole('group', { name: /Which lane will have the higher reward/ });
    await prediction.getByRole('radio').first().check();
    await prediction.getByRole('button', { name: 'Record my prediction' }).click();
    // At step 0 the run has shown nothing: no result text, a note saying when it comes.
    await page.getByTestId('prediction-waiting').first().waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('prediction-result').count()).toBe(0);
    expect(await page.getByText('The run shows:').count()).toBe(0);
    await page.getByRole('button', { name: 'Next step' }).click({ clickCount: 1 });
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByTestId('lesson-step-waiting').waitFor({ timeout: 10_000 });
    // Half-way through the run the result is still hidden.
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step >= 1, null, { timeout: 15_000 });
    expect(await page.getByTestId('prediction-result').count()).toBe(0);

    // Lesson 4: each preset's grader is the one the grader panel names.
    await page.getByRole('button', { name: '← All lessons' }).click();
    await page.getByRole('button', { name: /^Lesson 4:/ }).click();
    for (const [label, grader] of [
      ['Grader: contains the answer', /contains/],
      ['Grader fixed: exact match', /exact_match/],
    ] as const) {
      await page.getByRole('button', { name: `Load preset: ${label}` }).click();
      await page.waitForFunction((l) => document.querySelector('[role=status]')?.textContent !== null && document.body.textContent!.includes(`Loaded “${l}”`), label, { timeout: 20_000 });
      await expect.poll(() => page.getByTestId('grader-in-use').textContent(), { timeout: 10_000 }).toMatch(grader);
      // The evaluation grader is charted beside reward, with a legend entry, from the first step on.
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      await expect.poll(() => page.locator('figure[data-chart-id=reward] .legend').textContent(), { timeout: 10_000 }).toContain('RFT · exact_match');
    }
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => window.__rftPlayground.metrics().rft.filter((r) => typeof r['rewards/exact_match'] === 'number').length > 5, null, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Pause' }).click();

    // Leaving the lesson offers the student's own setup back; declining to keep it means a reload opens their own run.
    await page.getByRole('button', { name: 'Close lessons' }).click();
    await page.getByTestId('left-lesson').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1_500); // past the save delay
    await page.reload();
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.config.task)).toBe('reverse');
    await page.context().close();
  });

  it('leaving a lesson and choosing "Return to my setup" restores the run at once', async () => {
    const page = await open({ width: 1400, height: 900 });
    await page.getByRole('button', { name: 'Lessons', exact: true }).click();
    await page.getByRole('button', { name: /^Lesson 4:/ }).click();
    await page.getByRole('button', { name: 'Load preset: Grader: contains the answer' }).click();
    await page.waitForFunction(() => window.__rftPlayground.definition()?.config.task === 'add-contains', null, { timeout: 20_000 });
    await page.getByRole('button', { name: 'Close lessons' }).click();
    await page.getByRole('button', { name: 'Return to my setup' }).click();
    await page.waitForFunction(() => window.__rftPlayground.definition()?.config.task === 'reverse', null, { timeout: 20_000 });
    const lanes = await page.evaluate(() => window.__rftPlayground.definition()!.lanes);
    expect(lanes).toEqual({ rft: true, dpo: true, sft: true });
    await page.context().close();
  });

  it('on a 375 px phone the lesson panel leaves Play reachable', async () => {
    const page = await open({ width: 375, height: 740 });
    await page.screenshot({ path: `${SHOTS}/first-minute-${mode}-phone.png` });
    await page.getByRole('button', { name: 'Lessons', exact: true }).click();
    await page.getByRole('button', { name: /^Lesson 1:/ }).click();
    const play = page.getByRole('button', { name: 'Play', exact: true }).first();
    await page.evaluate(() => window.scrollTo(0, 0));
    const box = (await play.boundingBox())!;
    const hit = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.textContent?.trim(), [box.x + box.width / 2, box.y + box.height / 2]);
    expect(hit).toBe('Play');
    await play.click();
    await page.waitForFunction(() => window.__rftPlayground.progress().playing || window.__rftPlayground.progress().step > 0, null, { timeout: 15_000 });
    await page.context().close();
  });

  it('at 1920×1080 in presentation mode the reward chart is at least 40 % of the width (light and dark)', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open({ width: 1920, height: 1080 }, scheme);
      await page.getByRole('button', { name: 'Presentation' }).click();
      await page.waitForFunction(() => document.documentElement.classList.contains('presentation'));
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${SHOTS}/first-minute-${mode}-projector-${scheme}.png` });
      const box = (await page.locator('figure[data-chart-id=reward] canvas').boundingBox())!;
      expect(box.width).toBeGreaterThanOrEqual(0.4 * 1920);
      expect(box.height).toBeGreaterThanOrEqual(250);
      await page.context().close();
    }
  });

  it('had no console errors', () => {
    expect(errors).toEqual([]);
  });
});
