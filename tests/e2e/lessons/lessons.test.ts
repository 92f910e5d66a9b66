/**
 * End-to-end, keyboard only: open the lessons from the top bar, work through
 * lesson 2 (narrative, predictions, preset, gradient anatomy, live claim
 * check, quiz) with Tab / Shift+Tab / Enter / Space / arrow keys, then open a
 * teacher's lesson link that fixes the seed and covers results. Runs on the
 * built page (`npm run build`; LESSONS_E2E_DIST picks another build folder).
 * Screenshots go to test-results/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { HAVE_CHROMIUM, launchChromium, preferBackend, WEBGPU_BADGE } from '../browser.ts';
import { serveStatic, type StaticServer } from '../static-server.ts';
import type {} from '../../../src/ui/debug-hook.ts';
import { lessonById } from '../../../src/lessons/index.ts';

const DIST = process.env.LESSONS_E2E_DIST ?? 'dist';
const SHOTS = 'test-results';
const LESSON = lessonById('how-rft-works')!;

/** What has keyboard focus, described the way a screen reader would name it. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return '';
    const label = el.getAttribute('aria-label') ?? (el instanceof HTMLInputElement ? (el.closest('label')?.textContent ?? '') : el.textContent ?? '');
    return `${el.tagName.toLowerCase()}${el instanceof HTMLInputElement ? `[${el.type}]` : ''}: ${label.replace(/\s+/g, ' ').trim()}`;
  });
}

/** Presses Tab (or Shift+Tab) until the focused element's description matches, like a person scanning the page. */
async function tabTo(page: Page, target: RegExp, { back = false, max = 150 } = {}): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const now = await focused(page);
    if (target.test(now)) return;
    seen.push(now);
  }
  throw new Error(`no focusable element matching ${target} within ${max} ${back ? 'Shift+Tab' : 'Tab'} presses; passed: ${seen.join(' | ')}`);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Answers one radio-group question by keyboard: Tab into the group (Chrome
 * lands on the checked radio, else the first or last one), Space to check the
 * focused one, arrow keys to the wanted choice, then Tab to the submit button.
 */
async function answer(page: Page, choices: readonly string[], index: number, submit: RegExp, back = false): Promise<void> {
  await tabTo(page, new RegExp(`^input\\[radio\\]: (${choices.map(escape).join('|')})$`), { back });
  const at = await page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement;
    return [...document.querySelectorAll<HTMLInputElement>(`input[type=radio][name="${el.name}"]`)].indexOf(el);
  });
  await page.keyboard.press('Space');
  for (let i = at; i < index; i++) await page.keyboard.press('ArrowDown');
  for (let i = at; i > index; i--) await page.keyboard.press('ArrowUp');
  await tabTo(page, submit);
  await page.keyboard.press('Enter');
}

/** No serious or critical axe-core violations inside the lessons panel. */
async function expectAccessible(page: Page, where: string): Promise<void> {
  const result = await new AxeBuilder({ page }).include('.lessons-panel').analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`), where).toEqual([]);
}

describe.skipIf(!HAVE_CHROMIUM)('lessons, keyboard only', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error(`${DIST}/index.html is missing: run \`npm run build\` before the e2e tests`);
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium(true);
    // A context of its own (not browser.newPage): axe-core's Playwright runner needs one.
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    // The WebGPU test trains on WebGPU: asked for (auto picks the CPU over SwiftShader), and kept by lesson presets.
    await preferBackend(context, 'webgpu');
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.context().on('request', (r) => {
      if (!r.url().startsWith(server.url) && !/^(blob|data):/.test(r.url())) problems.push(`request left the site: ${r.url()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('completes lesson 2 with its quiz, loads its preset and explains a step', async () => {
    // CPU: a browser without WebGPU (the WebGPU path is covered by the lesson link below).
    const cpu = await launchChromium(false);
    // Dark colour scheme here, light in the WebGPU test: the accessibility checks see both.
    const ctx = await cpu.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: 'dark' });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    try {
      await p.goto(server.url);
      await p.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });

      await tabTo(p, /^button: Lessons$/);
      await p.keyboard.press('Enter');
      await p.getByRole('heading', { name: 'Lessons', exact: true }).waitFor();
      await tabTo(p, /^button: Lesson 2: How RFT works$/);
      await p.keyboard.press('Enter');
      await p.getByRole('heading', { name: 'Lesson 2: How RFT works' }).waitFor();

      // The narrative, step by step.
      for (let i = 1; i < LESSON.steps.length; i++) {
        await tabTo(p, /^button: Next step$/);
        await p.keyboard.press('Enter');
        await p.getByRole('heading', { name: `Step ${i + 1} of ${LESSON.steps.length}: ${LESSON.steps[i].heading}` }).waitFor();
        // Disabled buttons leave the tab order: go back to the top of the lesson for the next press.
        if (i < LESSON.steps.length - 1) await tabTo(p, /^button: Previous step$/, { back: true });
      }

      // Predictions are recorded before anything is revealed.
      const [p1, p2] = LESSON.predictions;
      await answer(p, p1.choices, 0, /^button: Record my prediction$/);
      await p.getByText(`Your prediction: ${p1.choices[0]}.`).waitFor();
      // No result before the run has reached the claim's step: the page asks for the experiment first.
      await p.getByTestId('prediction-waiting').first().waitFor();
      expect(await p.getByText(p1.lookFor).count()).toBe(0);
      await answer(p, p2.choices, p2.shownByRun, /^button: Record my prediction$/);
      await p.getByText(`Your prediction: ${p2.choices[p2.shownByRun]}.`).waitFor();

      // The preset reconfigures the playground: only the RFT lane, 32 answers per prompt, 8 prompts.
      await tabTo(p, /^button: Load preset: RFT on reverse, step by step$/);
      await p.keyboard.press('Enter');
      // Wait on what the preset changes (num_generations 32 is also the default, so it cannot tell).
      await p.waitForFunction(() => window.__rftPlayground.definition()?.lanes.dpo === false);
      const def = await p.evaluate(() => window.__rftPlayground.definition()!);
      expect(def.lanes).toEqual({ rft: true, dpo: false, sft: false });
      expect(def.config).toMatchObject({ task: 'reverse', seed: 0, steps: 300, batch_prompts: 8, num_generations: 32 });
      await expect(p.getByLabel('Generations per prompt').first().inputValue()).resolves.toBe('32');

      // Gradient anatomy: one real step, taken apart in stages (the lane cards' slow-motion view).
      await tabTo(p, /^button: Take one step slowly$/);
      await p.keyboard.press('Enter');
      const anatomy = p.getByTestId('slow-motion-rft');
      await expect.poll(() => anatomy.getAttribute('data-step')).toBe('1');
      expect(await anatomy.locator('.chip').count()).toBe(32);
      await p.screenshot({ path: `${SHOTS}/lessons-anatomy.png` });
      // Step 4 of this seed has no signal in any group (measured with npm run train); the last stage says where any move came from.
      for (const n of [2, 3, 4]) {
        await anatomy.getByRole('button', { name: 'Take the next step slowly' }).focus();
        await p.keyboard.press('Enter');
        await expect.poll(() => anatomy.getAttribute('data-step')).toBe(String(n));
      }
      // Through the five stages with →; the page's → (Step) does not fire meanwhile.
      for (let k = 0; k < 4; k++) await p.keyboard.press('ArrowRight');
      await expect.poll(() => anatomy.getAttribute('data-stage')).toBe('4');
      expect(await p.evaluate(() => window.__rftPlayground.progress().step)).toBe(4);
      expect(await anatomy.locator('.adv small').allTextContents()).toEqual(Array(32).fill('0.00'));
      const slow = (await p.evaluate(() => window.__rftPlayground.slowMotion('rft')))!;
      const moved = slow.heatmapAfter.some((row, i) => row.some((x, j) => x !== slow.heatmapBefore[i][j]));
      expect(await p.getByTestId('slow-motion-sources').textContent()).toMatch(
        moved ? /gradient on these cells is 0 \(every answer in the group scored the same.*Adam’s momentum/s : /^Nothing moved for this prompt/,
      );
      await p.locator('.anatomy').screenshot({ path: `${SHOTS}/lessons-anatomy-zero.png` });

      // Run it: Play is in the top bar, behind us in the tab order.
      await tabTo(p, /^select: 1 steps\/s/, { back: true, max: 300 });
      await p.keyboard.press('End'); // the last speed: as fast as the machine allows
      await tabTo(p, /^button: Play$/, { back: true });
      await p.keyboard.press('Enter');
      await p.waitForFunction(() => window.__rftPlayground.progress().step === 300 && !window.__rftPlayground.progress().playing, null, { timeout: 40_000 });
      await expect(p.locator('.claims li').allTextContents()).resolves.toEqual(LESSON.claims.map((c) => expect.stringMatching(new RegExp(`^✓ shown — ${escape(c.statement)}`))));
      // Now the run has spoken, the predictions' results show.
      await p.getByText(p1.lookFor).waitFor({ state: 'visible', timeout: 15_000 });
      await p.getByText(p2.lookFor).waitFor({ state: 'visible', timeout: 15_000 });

      // The quiz: a wrong answer first (its feedback says why), then every right one.
      await tabTo(p, /^button: Lessons$/, { back: true, max: 300 }); // wrap around to the lesson from the top
      const [q1] = LESSON.quiz;
      const wrong = q1.choices.findIndex((c) => !c.correct);
      await answer(p, q1.choices.map((c) => c.text), wrong, /^button: Check answer$/);
      await p.getByText(`✗ Not quite. ${q1.choices[wrong].feedback}`).waitFor();
      for (const [i, q] of LESSON.quiz.entries()) {
        const right = q.choices.findIndex((c) => c.correct);
        // The first question again (behind the focus now): its button says it is a retry.
        await answer(p, q.choices.map((c) => c.text), right, i === 0 ? /^button: Try again$/ : /^button: Check answer$/, i === 0);
        await p.getByText(`${i === 0 ? 'Retry: ' : ''}✓ Correct. ${q.choices[right].feedback}`).waitFor();
      }
      // Scored on first answers: the retry helped learning but does not count.
      await p.getByText(`Quiz: ${LESSON.quiz.length - 1} of ${LESSON.quiz.length} right on the first try`).waitFor();
      await p.getByText(/Scored: your first answer/).waitFor();
      await p.getByText('Lesson completed', { exact: true }).waitFor();
      await p.screenshot({ path: `${SHOTS}/lessons-completed.png`, fullPage: false });
    await expectAccessible(p, 'lesson 2, dark');

      // Kept on this device: after a reload the list still shows it.
      const saved = await p.evaluate(() => JSON.parse(localStorage.getItem('rft-playground.lessons.v1') ?? 'null'));
      expect(saved.lessons['how-rft-works']).toMatchObject({ completed: true, stepReached: LESSON.steps.length - 1, predictions: { '0': 0, '1': p2.shownByRun } });
      await p.reload();
      await p.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
      await tabTo(p, /^button: Lessons$/);
      await p.keyboard.press('Enter');
      await p.getByRole('listitem').filter({ hasText: 'Lesson 2: How RFT works' }).getByText('✓ completed').waitFor({ state: 'visible', timeout: 15_000 });
      // Escape closes the panel and hands focus back to the Lessons button.
      await p.keyboard.press('Escape');
      await p.getByRole('complementary', { name: 'Lessons' }).waitFor({ state: 'detached' });
      expect(await focused(p)).toBe('button: Lessons');
    } finally {
      await cpu.close();
    }
  });

  it("opens a teacher's lesson link with a fixed seed and covered results (WebGPU)", async () => {
    await page.goto(`${server.url}#lesson=dpo&seed=7&reveal=1`);
    await page.getByRole('heading', { name: 'Lesson 5: DPO' }).waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => window.__rftPlayground.definition()?.config.seed === 7);
    const dpo = lessonById('dpo')!;
    const def = await page.evaluate(() => window.__rftPlayground.definition()!);
    expect(def.lanes).toEqual({ rft: dpo.runs[0].lanes.includes('rft'), dpo: dpo.runs[0].lanes.includes('dpo'), sft: dpo.runs[0].lanes.includes('sft') });
    await expect(page.getByTestId('backend-badge').textContent()).resolves.toMatch(WEBGPU_BADGE);
    expect(def.config.backend).toBe('webgpu');
    await page.getByText('Seed fixed by the teacher\'s link: 7.').waitFor();
    await expect(page.locator('.claims').count()).resolves.toBe(0);
    await page.screenshot({ path: `${SHOTS}/lessons-teacher-link.png` });
    await tabTo(page, /^button: Reveal results$/);
    await page.keyboard.press('Enter');
    await expect(page.locator('.claims li').count()).resolves.toBe(dpo.claims.length);

    // Lesson 8's chooser, by keyboard: a checkable task with flawed examples leads to RFT and lesson 6's experiment.
    await page.evaluate(() => (location.hash = '#lesson=when-to-use-each'));
    await page.getByRole('heading', { name: /^Lesson 8: / }).waitFor();
    await tabTo(page, /^button: Yes, a program can check it$/);
    await page.keyboard.press('Enter');
    // Focus follows the chooser to its next question, then to its recommendation.
    await expect(focused(page)).resolves.toBe('button: None, or some of them are wrong');
    await page.keyboard.press('Enter');
    await expect(focused(page)).resolves.toMatch(/^button: Load the experiment: add with 30 % wrong demonstrations/);
    await page.screenshot({ path: `${SHOTS}/lessons-chooser.png` });
    await expectAccessible(page, 'lesson 8 chooser, light');
    await page.keyboard.press('Enter');
    const noisy = lessonById('noisy-demonstrations')!;
    const target = noisy.runs.find((r) => r.id === 'thirty-percent-wrong')!;
    await page.getByRole('heading', { name: `Lesson 6: ${noisy.title}` }).waitFor();
    await page.waitForFunction((rate) => window.__rftPlayground.definition()?.config.demo_error_rate === rate, target.config.demo_error_rate);
    expect(problems).toEqual([]);
  });
});
