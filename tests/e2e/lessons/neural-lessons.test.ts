/**
 * End-to-end, on both backends (production build on a plain static server): the three transformer
 * lessons (9–11), each from the lessons list to its completed quiz. Predictions first; then the presets.
 * - On the CPU engine, one lesson (PLAYED_TO_END) has every preset played to its last step, and the
 *   page's own claim checks must read "✓ shown" before the predictions' answers appear. Each claim of
 *   every lesson is checked on its preset headless in tests/lessons/lesson-claims.test.ts (the same
 *   engine and claim code), so the other two load every preset as the page does and train each transformer preset for one
 *   evaluation (a table preset, seconds long, to its end): playing all three to the end took 4 min of CI for what that test already shows.
 * - On SwiftShader a transformer step is several times slower than on the CPU engine, so the WebGPU run
 *   trains the first transformer preset for one evaluation (WebGPU badge, held-out line on the chart).
 * Screenshots in test-results/lesson-<id>-<mode>.png.
 */
import AxeBuilder from '@axe-core/playwright';
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { builtPage, HAVE_CHROMIUM, openPlayground, WEBGPU_BADGE } from '../browser.ts';
import { LESSONS } from '../../../src/lessons/index.ts';
import type { Lesson } from '../../../src/lessons/types.ts';
import type {} from '../../../src/ui/debug-hook.ts';

const isTransformer = (r: Lesson['runs'][number]) => (r.config.policy as { kind?: string } | undefined)?.kind === 'transformer';
const NEURAL = LESSONS.filter((l) => l.runs.some(isTransformer));
/** The lesson whose presets the CPU run plays to their last step (the shortest of the three, ~70 s). */
const PLAYED_TO_END = 10;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function answer(page: Page, question: string, choice: string, submit: string): Promise<void> {
  const group = page.getByRole('group', { name: question, exact: true });
  await group.getByLabel(choice, { exact: true }).check();
  await group.getByRole('button', { name: submit }).click();
}

async function playToEnd(page: Page, steps: number): Promise<void> {
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForFunction((n) => window.__rftPlayground.progress().step >= n && !window.__rftPlayground.progress().playing, steps, { timeout: 900_000, polling: 500 });
}

describe.skipIf(!HAVE_CHROMIUM).each([
  { mode: 'cpu', webgpu: false },
  { mode: 'webgpu', webgpu: true },
])('the transformer lessons ($mode backend)', ({ mode, webgpu }) => {
  const site = builtPage({ webgpu });
  const errors: string[] = [];
  afterAll(() => expect(errors).toEqual([]));

  it('there are three, each with a transformer preset', () => {
    expect(NEURAL.map((l) => l.number)).toEqual([9, 10, 11]);
  });

  it.each(NEURAL.map((l) => [l.number, l.title, l] as const))('lesson %i: %s, predictions, presets, claims shown, quiz completed', async (_n, _t, lesson: Lesson) => {
    const { page, context } = await openPlayground(site, webgpu ? 'webgpu' : 'cpu', errors);
    await page.getByRole('button', { name: 'Lessons', exact: true }).click();
    await page.getByRole('button', { name: `Lesson ${lesson.number}: ${lesson.title}` }).click();
    await page.getByRole('heading', { name: `Lesson ${lesson.number}: ${lesson.title}` }).waitFor();
    for (let i = 1; i < lesson.steps.length; i++) await page.getByRole('button', { name: 'Next step' }).click();

    // Predict (a choice that may be wrong: the run answers it), then run.
    for (const p of lesson.predictions) await answer(page, p.question, p.choices[0], 'Record my prediction');
    await page.getByLabel('Speed').selectOption({ label: 'max' });
    const toEnd = !webgpu && lesson.number === PLAYED_TO_END;
    const runs = webgpu ? lesson.runs.filter(isTransformer).slice(0, 1) : lesson.runs;
    for (const run of runs) {
      await page.getByRole('button', { name: `Load preset: ${run.label}` }).click();
      await page.getByText(`Loaded “${run.label}”: press Play in the top bar.`).waitFor({ timeout: 180_000 });
      // A table preset takes seconds to its end (and would be over before a Pause click).
      if (toEnd || !isTransformer(run)) {
        await playToEnd(page, run.config.steps ?? 300);
        continue;
      }
      if (webgpu) expect(await page.evaluate(() => window.__rftPlayground.backendBadge())).toMatch(WEBGPU_BADGE);
      const every = run.config.eval_steps ?? 10;
      await page.getByRole('button', { name: 'Play', exact: true }).click();
      await page.waitForFunction((n) => window.__rftPlayground.progress().step >= n, every, { timeout: 900_000, polling: 500 });
      await page.getByRole('button', { name: 'Pause', exact: true }).click();
      const held = (await page.evaluate(() => window.__rftPlayground.chartData('reward')))!.filter((l) => l.metric === 'eval_reward' && !l.ghost);
      expect(held.length).toBeGreaterThan(0);
      expect(held[0].points.map((p) => p.x).slice(0, 2)).toEqual([0, every]);
    }
    if (toEnd) {
      // Every claim, checked by the page on its own records, holds; and only now do the predictions' answers show.
      await expect.poll(() => page.locator('.claims li').allTextContents(), { timeout: 30_000 }).toEqual(lesson.claims.map((c) => expect.stringMatching(new RegExp(`^✓ shown — ${escape(c.statement)}`))));
      for (const p of lesson.predictions) await page.getByText(p.lookFor).first().waitFor({ timeout: 15_000 });
    }

    // The quiz, every answer right.
    for (const q of lesson.quiz) await answer(page, q.question, q.choices.find((c) => c.correct)!.text, 'Check answer');
    await page.getByText('Lesson completed', { exact: true }).waitFor();
    await page.screenshot({ path: `test-results/lesson-${lesson.id}-${mode}.png` });
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.length}`)).toEqual([]);
    await context.close();
  }, 900_000);
});
