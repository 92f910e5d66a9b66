/**
 * End-to-end, in both backends: earlier runs stay on the charts as labelled ghosts (two lesson presets in
 * one reward chart), a share link that names ghosts rebuilds them (a malformed one is named and the rest
 * loads), and every claim of every lesson has its live figure inline in the step that makes it. The CPU
 * run also checks the ghost list and the figures with axe (light and dark) and takes screenshots (light,
 * dark, presentation; 375 px and 1920 px) into test-results/.
 */
import AxeBuilder from '@axe-core/playwright';
import LZString from 'lz-string';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { lessonById, LESSONS } from '../../src/lessons/index.ts';
import { figuresForStep, lessonFigures } from '../../src/lessons/figures.ts';
import { builtPage, HAVE_CHROMIUM, preferBackend, WEBGPU_BADGE } from './browser.ts';
import type {} from '../../src/ui/debug-hook.ts';

const SHOTS = 'test-results';
const hashOf = (obj: unknown) => '#v1=' + LZString.compressToEncodedURIComponent(JSON.stringify(obj));

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 30_000 });
}

async function openLesson(page: Page, number: number, title: string): Promise<void> {
  const heading = page.getByRole('heading', { name: `Lesson ${number}: ${title}` });
  if (await heading.isVisible()) return;
  if (!(await page.getByRole('heading', { name: 'Lessons', exact: true }).isVisible())) {
    const back = page.getByRole('button', { name: '← All lessons' });
    if (await back.isVisible()) await back.click();
    else await page.getByRole('button', { name: 'Lessons', exact: true }).click();
  }
  await page.getByRole('button', { name: `Lesson ${number}: ${title}` }).click();
  await heading.waitFor();
}

/** Goes to step `index` of the open lesson with its Previous / Next buttons. */
async function goToStep(page: Page, index: number, total: number, heading: string): Promise<void> {
  const title = page.getByRole('heading', { name: new RegExp(`^Step \\d+ of ${total}:`) });
  for (let guard = 0; guard < 2 * total; guard++) {
    const at = Number(/^Step (\d+)/.exec((await title.textContent()) ?? '')?.[1]) - 1;
    if (at === index) break;
    await page.getByRole('button', { name: at < index ? 'Next step' : 'Previous step' }).click();
    await page.getByRole('heading', { name: new RegExp(`^Step ${at < index ? at + 2 : at} of ${total}:`) }).waitFor();
  }
  await page.getByRole('heading', { name: `Step ${index + 1} of ${total}: ${heading}` }).waitFor();
}

async function playToTheEnd(page: Page, timeout: number): Promise<void> {
  await page.getByLabel('Speed').selectOption({ label: 'max' });
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForFunction(() => window.__rftPlayground.progress().finished === true && !window.__rftPlayground.progress().playing, null, { timeout });
}

async function expectAccessible(page: Page, selector: string, where: string): Promise<void> {
  const result = await new AxeBuilder({ page }).include(selector).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`), where).toEqual([]);
}

describe.skipIf(!HAVE_CHROMIUM).each([
  { mode: 'cpu', webgpu: false },
  { mode: 'webgpu', webgpu: true },
])('ghosts and inline lesson figures ($mode mode)', ({ mode, webgpu }) => {
  const env = builtPage({ webgpu });

  async function newPage(options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}) {
    const context = await env.newContext({ viewport: { width: options.width ?? 1400, height: options.height ?? 1000 }, colorScheme: options.colorScheme ?? 'light' });
    if (webgpu) await preferBackend(context, 'webgpu');
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    return { page, errors };
  }

  it('after two lesson presets the reward chart shows both runs, labelled; the ghost list hides, pins and removes them by keyboard', async () => {
    const { page, errors } = await newPage();
    await page.goto(env.server.url);
    await ready(page);
    const lesson = lessonById('reward-hacking')!;
    const [lenient, fixed] = lesson.runs;
    await openLesson(page, lesson.number, lesson.title);
    await page.getByRole('button', { name: `Load preset: ${lenient.label}` }).click();
    await page.waitForFunction(() => window.__rftPlayground.definition()?.config.task === 'add-contains');
    // The preset keeps the user's backend: in WebGPU mode the lane really trains on WebGPU.
    if (webgpu) expect(await page.getByTestId('backend-badge').textContent()).toMatch(WEBGPU_BADGE);
    await playToTheEnd(page, 180_000);

    await page.getByRole('button', { name: `Load preset: ${fixed.label}` }).click();
    await page.waitForFunction(() => window.__rftPlayground.ghosts().length === 1, null, { timeout: 30_000 });
    const [ghost] = await page.evaluate(() => window.__rftPlayground.ghosts());
    expect(ghost).toMatchObject({ label: lenient.label, steps: 200, lanes: ['rft'], hidden: false, pinned: false });
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step === 2);

    // What the reward chart draws: the live run and the lenient run's ghost, both named.
    await expect
      .poll(async () => (await page.evaluate(() => window.__rftPlayground.drawnLines('reward'))) ?? [], { timeout: 10_000 })
      .toEqual(
        expect.arrayContaining([
          expect.objectContaining({ label: 'RFT', points: 2, ghost: false }),
          expect.objectContaining({ label: `RFT reward — ghost: ${lenient.label}`, points: 200, ghost: true }),
          expect.objectContaining({ label: `RFT · exact_match — ghost: ${lenient.label}`, points: 200, ghost: true }),
        ]),
      );
    const drawn = (await page.evaluate(() => window.__rftPlayground.drawnLines('reward')))!;
    const live = drawn.find((l) => l.label === 'RFT')!;
    const shadow = drawn.find((l) => l.label.startsWith('RFT reward — ghost'))!;
    expect(shadow.dash).not.toEqual(live.dash);
    // The ghost's curve is the run as it was: the lenient reward climbed to the top.
    const ghostData = (await page.evaluate(() => window.__rftPlayground.chartData('reward')))!.find((l) => l.ghost === lenient.label && l.metric === 'reward')!;
    expect(ghostData.points.slice(-20).reduce((a, p) => a + p.y, 0) / 20).toBeGreaterThan(0.9);
    // Every chart of the lane has it, the loss chart in the lane card too.
    expect((await page.evaluate(() => window.__rftPlayground.drawnLines('entropy')))!.some((l) => l.ghost)).toBe(true);
    expect((await page.evaluate(() => window.__rftPlayground.drawnLines('loss-rft')))!.some((l) => l.ghost)).toBe(true);

    // The ghost list, by keyboard: hide (the line leaves the chart), show again, pin, then remove.
    const list = page.getByTestId('ghost-list');
    await list.getByText(lenient.label, { exact: true }).waitFor();
    const shown = list.getByRole('checkbox', { name: `Show ghost “${lenient.label}” on the charts` });
    await shown.focus();
    await page.keyboard.press('Space');
    await expect.poll(async () => (await page.evaluate(() => window.__rftPlayground.drawnLines('reward')))!.some((l) => l.ghost)).toBe(false);
    await page.keyboard.press('Space');
    await expect.poll(async () => (await page.evaluate(() => window.__rftPlayground.drawnLines('reward')))!.filter((l) => l.ghost).length).toBe(2);
    await list.getByRole('checkbox', { name: `Pin ghost “${lenient.label}”` }).focus();
    await page.keyboard.press('Space');
    await expect.poll(async () => (await page.evaluate(() => window.__rftPlayground.ghosts()))[0].pinned).toBe(true);

    // The lesson's figure for "what the model found": reward and exact match of the lenient run, drawn from its ghost.
    await goToStep(page, 2, lesson.steps.length, lesson.steps[2].heading);
    const figureId = figuresForStep(lesson, 2)[0].id;
    await expect.poll(async () => (await page.evaluate((id) => window.__rftPlayground.drawnLines(id), figureId))?.map((l) => [l.label, l.points])).toEqual([
      ['reward', 200],
      ['exact match', 200],
    ]);

    await list.getByRole('button', { name: `Remove ghost “${lenient.label}”` }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await page.evaluate(() => window.__rftPlayground.ghosts())).length).toBe(0);
    expect(errors).toEqual([]);
  }, 300_000);

  it('a share link with ghosts rebuilds them on load; a malformed ghost is named and the rest of the link still loads', async () => {
    const { page, errors } = await newPage();
    const lanes = { rft: true, dpo: false, sft: false };
    const link = hashOf({
      config: { task: 'reverse', steps: 40, seed: 1 },
      lanes,
      teacher: { paused: true },
      ghosts: [
        { label: 'KL β 0.5', config: { task: 'reverse', steps: 30, seed: 1, rft: { beta: 0.5 } }, lanes },
        { label: 'broken', config: { task: 'reverse', rft: { beta: -1 } }, lanes },
        { label: 'lr 1', config: { task: 'reverse', steps: 25, seed: 1, optimizer: { learning_rate: 1 } }, lanes },
      ],
    });
    await page.goto(env.server.url + link);
    await ready(page);
    await page.waitForFunction(() => window.__rftPlayground.ghosts().length === 2, null, { timeout: 120_000 });
    const ghosts = await page.evaluate(() => window.__rftPlayground.ghosts());
    expect(ghosts.map((g) => [g.label, g.steps, g.lanes])).toEqual([
      ['KL β 0.5', 30, ['rft']],
      ['lr 1', 25, ['rft']],
    ]);
    expect(ghosts[0].config.rft.beta).toBe(0.5);
    // The link's own run applied: the rest of the link was not lost to the bad ghost.
    expect(await page.evaluate(() => window.__rftPlayground.definition()?.config)).toMatchObject({ task: 'reverse', steps: 40, seed: 1 });
    await page.getByText(/ghosts\.1 \(“broken”\) is left out: ghosts\.1\.config\.rft\.beta/).waitFor();
    const drawn = (await page.evaluate(() => window.__rftPlayground.drawnLines('reward')))!;
    expect(drawn.filter((l) => l.ghost).map((l) => [l.label, l.points])).toEqual([
      ['RFT reward — ghost: KL β 0.5', 30],
      ['RFT reward — ghost: lr 1', 25],
    ]);
    expect(errors).toEqual([]);
  }, 180_000);

  it('every lesson claim has its live figure inline in the step that makes it', async () => {
    const { page, errors } = await newPage();
    await page.goto(env.server.url);
    await ready(page);
    for (const lesson of LESSONS) {
      await openLesson(page, lesson.number, lesson.title);
      const covered = new Set<number>();
      for (const step of [...new Set(lessonFigures(lesson).map((f) => f.step))]) {
        await goToStep(page, step, lesson.steps.length, lesson.steps[step].heading);
        for (const f of figuresForStep(lesson, step)) {
          const figure = page.locator(`figure[data-figure-id="${f.id}"]`);
          await figure.waitFor();
          for (const c of (await figure.getAttribute('data-claims'))!.split(' ')) covered.add(Number(c));
          // A chart.js chart with one named line per series the claims compare (not an image).
          const lines = await page.evaluate((id) => window.__rftPlayground.drawnLines(id), f.id);
          expect(lines?.map((l) => l.label), `${lesson.id} ${f.id}`).toEqual(f.lines.map((l) => l.label));
          expect(await figure.getByRole('img').getAttribute('aria-label')).toContain(f.title);
        }
      }
      expect([...covered].sort((a, b) => a - b), lesson.id).toEqual(lesson.claims.map((_, i) => i));
    }
    expect(errors).toEqual([]);
  }, 240_000);

  it.runIf(!webgpu)('the ghost list and the figures are axe-clean in light and dark, and read at 375 px and in presentation mode (screenshots)', async () => {
    const views = [
      { name: 'light', colorScheme: 'light' as const, width: 1400, height: 1000, presentation: false },
      { name: 'dark', colorScheme: 'dark' as const, width: 1400, height: 1000, presentation: false },
      { name: 'presentation', colorScheme: 'light' as const, width: 1920, height: 1080, presentation: true },
      { name: 'phone', colorScheme: 'light' as const, width: 375, height: 800, presentation: false },
    ];
    const lesson = lessonById('collapse-and-leash')!;
    const entropy = figuresForStep(lesson, 2)[0];
    for (const v of views) {
      const { page, errors } = await newPage(v);
      await page.goto(env.server.url);
      await ready(page);
      if (v.presentation) await page.getByRole('button', { name: 'Presentation', exact: true }).click();
      await openLesson(page, lesson.number, lesson.title);
      // The lesson's four presets, trained headless as labelled ghosts.
      await page.getByRole('button', { name: 'Show every run on the charts' }).click();
      await page.waitForFunction((n) => window.__rftPlayground.ghosts().length === n, lesson.runs.length, { timeout: 60_000 });
      expect((await page.evaluate(() => window.__rftPlayground.ghosts())).map((g) => g.label)).toEqual(lesson.runs.map((r) => r.label));
      await goToStep(page, 2, lesson.steps.length, lesson.steps[2].heading);
      const figure = page.locator(`figure[data-figure-id="${entropy.id}"]`);
      await figure.waitFor();
      await expect.poll(async () => (await page.evaluate((id) => window.__rftPlayground.drawnLines(id), entropy.id))?.map((l) => l.points)).toEqual([300, 300]);
      // The claims the figures draw are checked on the ghosts' records, too.
      await expect.poll(() => page.locator('.claims li.shown').count()).toBe(lesson.claims.length);
      if (v.name !== 'phone') await expectAccessible(page, '.lessons-panel', `lesson figures, ${v.name}`);
      await figure.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}/lesson-figures-${v.name}.png` });

      await page.getByRole('button', { name: 'Lessons', exact: true }).click();
      const list = page.getByTestId('ghost-list');
      await list.scrollIntoViewIfNeeded();
      if (v.name !== 'phone') await expectAccessible(page, '[data-testid="ghost-list"]', `ghost list, ${v.name}`);
      // No horizontal scrolling of the page at 375 px.
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `${v.name}: page wider than the screen`).toBe(true);
      await page.locator('.charts').screenshot({ path: `${SHOTS}/ghosts-charts-${v.name}.png` });
      expect(errors).toEqual([]);
      await page.context().close();
    }
  }, 300_000);
});
