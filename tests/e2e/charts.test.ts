/**
 * End-to-end (CPU backend, production build): the charts and tables people read. Smoothing draws the
 * EMA the unit test checks; knob changes are marked on the time axis; the DPO card names its two kinds
 * of score apart; the SFT table is coloured by the grader; heatmap rows no answer reaches say "ended";
 * a 28-character vocabulary scrolls inside its card and can be edited on the page; chartData carries
 * the evaluation graders. Screenshots go to test-results/charts-*.png.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { defaultConfig } from '../../src/engine/config.ts';
import { encodeShareHash } from '../../src/share/hash-codec.ts';
import { defaultLanes, defaultTeacher } from '../../src/share/run-state.ts';
import { emaSmooth } from '../../src/ui/metric-history.ts';
import { builtPage, HAVE_CHROMIUM } from './browser.ts';
import type {} from '../../src/ui/debug-hook.ts';

const SHOTS = 'test-results';
const POLL = { timeout: 20_000 };

describe.skipIf(!HAVE_CHROMIUM)('charts and tables (CPU backend)', () => {
  const site = builtPage();
  const errors: string[] = [];

  afterAll(() => {
    expect(errors).toEqual([]);
  });

  async function open(config: Partial<ReturnType<typeof defaultConfig>> = {}, viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await site.newContext({ viewport });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const hash = encodeShareHash({ config: { ...defaultConfig(), ...config }, lanes: defaultLanes(), teacher: { ...defaultTeacher(), paused: true } });
    await page.goto(`${site.server.url}#${hash}`);
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, POLL);
    await page.getByLabel('Speed').selectOption({ label: '100 steps/s' });
    return page;
  }
  const step = (page: Page) => page.evaluate(() => window.__rftPlayground.progress().step);
  async function runTo(page: Page, n: number): Promise<void> {
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction((s) => window.__rftPlayground.progress().step >= s, n, POLL);
    if (await page.evaluate(() => window.__rftPlayground.progress().playing)) await page.getByRole('button', { name: 'Pause' }).click();
    await page.waitForFunction(() => !window.__rftPlayground.progress().playing, null, POLL);
  }

  it('smoothing draws the EMA of every line; a knob changed mid-run is marked at its step', async () => {
    const page = await open({ steps: 2000 });
    await runTo(page, 20);
    const generations = page.getByLabel('Generations per prompt');
    await generations.fill('8');
    await generations.press('Enter');
    await expect.poll(() => page.evaluate(() => window.__rftPlayground.events().length), POLL).toBe(1);
    const [mark] = await page.evaluate(() => window.__rftPlayground.events());
    expect(mark.label).toBe('Generations per prompt → 8');
    expect(mark.kind).toBe('knob');
    expect(mark.step).toBe(await step(page));
    expect(await page.getByTestId('chart-marks').textContent()).toContain(`step ${mark.step}: Generations per prompt → 8`);
    // A Reset starts a new run: its marks start empty.
    await runTo(page, mark.step + 20);

    expect((await page.evaluate(() => window.__rftPlayground.chartData('reward')))!.every((l) => l.smoothed === null)).toBe(true);
    const slider = page.getByRole('slider', { name: 'Smoothing' });
    await slider.fill('0.9');
    expect(await slider.getAttribute('aria-valuetext')).toMatch(/^0\.90, raw line faint behind/);
    for (const id of ['reward', 'entropy', 'loss-dpo']) {
      const lines = (await page.evaluate((chart) => window.__rftPlayground.chartData(chart), id))!;
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line.points.length, `${id} ${line.label}`).toBeGreaterThan(20);
        const want = emaSmooth(line.points, 0.9);
        expect(line.smoothed!.map((p) => p.x)).toEqual(want.map((p) => p.x));
        line.smoothed!.forEach((p, i) => expect(Math.abs(p.y - want[i].y)).toBeLessThan(1e-9));
      }
    }
    await page.locator('figure[data-chart-id="reward"]').screenshot({ path: `${SHOTS}/charts-smoothed-reward.png` });
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await expect.poll(() => page.evaluate(() => window.__rftPlayground.events().length), POLL).toBe(0);
    await page.context().close();
  });

  it('the DPO card tells its grader score from its preference scores; the SFT table is coloured by the grader', async () => {
    // Palindrome: many right answers, so an answer can pass the grader without being the demonstration.
    const page = await open({ task: 'palindrome', steps: 2000 });
    await runTo(page, 60);
    const dpo = page.getByRole('region', { name: 'DPO', exact: true });
    expect(await dpo.getByText('grader score', { exact: true }).isVisible()).toBe(true);
    expect(await dpo.getByRole('columnheader', { name: 'chosen (preference score)' }).isVisible()).toBe(true);
    expect(await page.getByTestId('dpo-scores-note').textContent()).toMatch(/not the grader.*grader score above/s);

    const sft = page.getByRole('region', { name: 'SFT', exact: true });
    const rows = sft.locator('table.gallery tbody tr');
    await expect.poll(() => rows.count(), POLL).toBeGreaterThan(0);
    const table = await rows.evaluateAll((trs) =>
      trs.map((tr) => {
        const td = [...tr.querySelectorAll('td')];
        return { demo: td[1].textContent!.trim(), answer: td[2].childNodes[0].textContent!.trim(), same: !!td[2].querySelector('.same'), green: td[2].classList.contains('good'), score: td[3].textContent!.trim() };
      }),
    );
    for (const r of table) {
      const score = Number(r.score);
      expect(Number.isFinite(score), JSON.stringify(r)).toBe(true);
      // Green exactly when the grader gives full marks; "= demo" exactly when the answer copies the demonstration.
      expect(r.green, JSON.stringify(r)).toBe(score >= 0.999);
      expect(r.same, JSON.stringify(r)).toBe(r.answer === r.demo);
      const palindrome = r.answer.length >= 3 && r.answer.length <= 5 && [...r.answer].reverse().join('') === r.answer;
      expect(score >= 0.999, JSON.stringify(r)).toBe(palindrome);
    }
    await sft.screenshot({ path: `${SHOTS}/charts-sft-card.png` });
    await page.context().close();
  });

  it('heatmap rows no answer reaches say "ended", not a uniform 25 %', async () => {
    const page = await open({ task: 'reverse', steps: 2000 });
    const rft = page.getByRole('region', { name: 'RFT', exact: true });
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => rft.locator('table.heatmap tbody tr').count(), POLL).toBeGreaterThan(0);
    // At the start every position is reached by some answers: nothing is ended yet.
    expect(await rft.getByText('ended: answers stop before here').count()).toBe(0);
    await runTo(page, 250);
    // Reverse answers 3–4 letters with at most 5 tokens: once learnt, the 5th position is past every end.
    await expect.poll(() => rft.getByText('ended: answers stop before here').count(), POLL).toBeGreaterThan(0);
    await rft.locator('table.heatmap').screenshot({ path: `${SHOTS}/charts-heatmap-ended.png` });
    await page.context().close();
  });

  it('a 28-character vocabulary scrolls inside its card; editing the vocabulary on the page retrains with it', async () => {
    const page = await open({}, { width: 1280, height: 900 });
    const letters = 'abcdefghijklmnopqrstuvwxyz.!';
    const lines = Array.from({ length: 14 }, (_, i) => {
      const answer = letters.slice(2 * i, 2 * i + 2);
      return JSON.stringify({ messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: answer }] });
    });
    await page.getByLabel('Import JSONL files').setInputFiles({ name: 'wide.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(lines.join('\n') + '\n') });
    const vocab = page.getByLabel(/^Vocabulary/);
    await expect.poll(() => vocab.inputValue(), POLL).toBe([...letters].sort().join(''));
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    const sft = page.getByRole('region', { name: 'SFT', exact: true });
    const heatmap = sft.locator('table.heatmap');
    await expect.poll(() => heatmap.locator('thead th').count(), POLL).toBe(1 + 1 + 28);
    const fit = await sft.evaluate((card) => {
      const box = card.querySelector('.scroll') as HTMLElement;
      const c = card.getBoundingClientRect();
      const b = box.getBoundingClientRect();
      return { inside: b.left >= c.left - 0.5 && b.right <= c.right + 0.5, scrolls: box.scrollWidth > box.clientWidth, overflow: getComputedStyle(box).overflowX, focusable: box.tabIndex === 0 };
    });
    expect(fit).toEqual({ inside: true, scrolls: true, overflow: 'auto', focusable: true });
    // The last column can be brought into view inside the box: nothing is cut off for good.
    const last = heatmap.locator('thead th').last();
    await last.scrollIntoViewIfNeeded();
    expect(await last.textContent()).toBe('z');
    const visible = await last.evaluate((th) => {
      const box = th.closest('.scroll')!.getBoundingClientRect();
      const r = th.getBoundingClientRect();
      return r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
    });
    expect(visible).toBe(true);
    await sft.screenshot({ path: `${SHOTS}/charts-wide-vocabulary.png` });
    // On a 375 px phone too: the table scrolls inside its card and the page does not scroll sideways.
    await page.setViewportSize({ width: 375, height: 740 });
    await expect.poll(() => sft.evaluate((card) => {
      const box = card.querySelector('.scroll')!.getBoundingClientRect();
      const c = card.getBoundingClientRect();
      return box.left >= c.left - 0.5 && box.right <= c.right + 0.5 && document.documentElement.scrollWidth <= 375;
    }), POLL).toBe(true);
    await sft.locator('.scroll').screenshot({ path: `${SHOTS}/charts-wide-vocabulary-phone.png` });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Edited on the page: three more characters (at step 1 the change needs a fresh policy: Reset applies it).
    await vocab.fill(letters + 'XYZ');
    await vocab.press('Enter');
    const reset = page.getByRole('button', { name: 'Reset and apply' });
    await expect.poll(() => page.evaluate(() => (window.__rftPlayground.definition()?.config.task as { alphabet?: string }).alphabet), POLL).toBe(letters + 'XYZ');
    // The offer to reset may appear a moment after the edit (a loaded machine): press it whenever it shows.
    await expect
      .poll(async () => {
        if (await reset.isVisible().catch(() => false)) await reset.click().catch(() => undefined);
        return page.getByText(/31 characters plus end-of-answer/).count();
      }, POLL)
      .toBe(1);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => heatmap.locator('thead th').count(), POLL).toBe(1 + 1 + 31);
    expect(await page.getByText('Set by you (task.alphabet).', { exact: false }).count()).toBe(1);
    // A vocabulary missing characters the answers use is refused on Reset, naming file, line and characters; the run keeps its own.
    await vocab.fill('ab');
    await vocab.press('Enter');
    await reset.click();
    await expect.poll(() => page.getByText(/Not applied: wide\.jsonl line 2: answer "cd" uses "c" "d", which task\.alphabet does not have/).count(), POLL).toBe(1);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => step(page), POLL).toBe(2);
    expect(await heatmap.locator('thead th').count()).toBe(1 + 1 + 31);
    await page.context().close();
  });

  it('chartData of the reward chart carries the evaluation graders, as the legend does', async () => {
    const page = await open({ task: 'add-contains', steps: 50 });
    await runTo(page, 5);
    const lines = (await page.evaluate(() => window.__rftPlayground.chartData('reward')))!;
    expect(lines.map((l) => l.metric)).toEqual(['reward', 'reward', 'reward', 'rewards/exact_match', 'rewards/exact_match', 'rewards/exact_match']);
    const legend = await page.locator('figure[data-chart-id="reward"] .legend .key').allTextContents();
    expect(legend).toEqual(lines.map((l) => l.label));
    for (const l of lines) expect(l.points.length).toBeGreaterThanOrEqual(5);
    await page.context().close();
  });
});
