/**
 * End-to-end, on both backends (production build on a plain static server): the transformer on the page.
 * Choose it, watch its base pretrain (progress bar, then the base's held-out score), train 100 steps, and
 * find train and held-out reward for every lane in the chart's legend and data; Reset reuses the base;
 * held-out prompts are marked in the chips and on the lane cards. Screenshots in test-results/transformer-*.png.
 */
import AxeBuilder from '@axe-core/playwright';
import { afterAll, describe, expect, it } from 'vitest';
import { builtPage, HAVE_CHROMIUM, openPlayground, WEBGPU_BADGE } from './browser.ts';
import type {} from '../../src/ui/debug-hook.ts';

const SHOTS = 'test-results';

describe.skipIf(!HAVE_CHROMIUM).each([
  { mode: 'cpu', webgpu: false },
  { mode: 'webgpu', webgpu: true },
])('the transformer on the page ($mode backend)', ({ mode, webgpu }) => {
  const site = builtPage({ webgpu });
  const errors: string[] = [];
  afterAll(() => expect(errors).toEqual([]));

  it('pretrains a base with a progress bar, trains 100 steps, and charts train and held-out reward per lane', async () => {
    const { page, context } = await openPlayground(site, webgpu ? 'webgpu' : 'cpu', errors);

    await page.getByLabel('Policy kind').selectOption({ label: 'Transformer (neural)' });
    // The base pretrains in the worker (5–30 s on the CPU here): a labelled progress bar says how far.
    const bar = page.getByRole('progressbar', { name: /Pretraining the base model/ });
    await bar.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${SHOTS}/transformer-pretraining-${mode}.png` });
    const summary = page.getByTestId('model-summary');
    await summary.getByText(/Held-out at step 0: \d+ % sampled, \d+ % greedy/).waitFor({ timeout: 120_000 });
    await bar.waitFor({ state: 'detached' });
    expect(await summary.innerText()).toMatch(/Base: pretrained \d+ steps, greedy accuracy \d+ %/);
    if (webgpu) expect(await page.evaluate(() => window.__rftPlayground.backendBadge())).toMatch(WEBGPU_BADGE);
    else await expect.poll(() => page.getByTestId('cpu-speed').innerText()).toMatch(/expect about [\d.]+ steps\/s/);

    // The small preset keeps 100 steps short on either backend, and fewer candidates per prompt on SwiftShader.
    await page.getByRole('button', { name: /Use a small transformer/ }).click();
    await expect.poll(() => summary.innerText(), { timeout: 120_000 }).toMatch(/^3,\d{3} parameters/);
    await page.getByLabel('Generations per prompt').fill('8');
    await page.getByLabel('Generations per prompt').press('Enter');
    const steps = page.getByLabel('Steps', { exact: true });
    await steps.fill('100');
    await steps.press('Enter');
    await page.getByLabel('Speed').selectOption({ label: 'max' });
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step >= 100, null, { timeout: 600_000 });

    const legend = await page.locator('figure[data-chart-id="reward"] .legend .key').allTextContents();
    for (const lane of ['RFT', 'DPO', 'SFT']) {
      expect(legend).toContain(`${lane} train`);
      expect(legend).toContain(`${lane} held-out`);
    }
    const lines = (await page.evaluate(() => window.__rftPlayground.chartData('reward')))!;
    const held = lines.find((l) => l.label === 'SFT held-out')!;
    expect(held.metric).toBe('eval_reward');
    // Step 0 (the base) and every eval_steps (10) to 100.
    expect(held.points.map((p) => p.x)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(lines.find((l) => l.label === 'SFT train')!.points).toHaveLength(100);
    // Every lane starts from the same base, so the same held-out score at step 0.
    const starts = ['RFT', 'DPO', 'SFT'].map((lane) => lines.find((l) => l.label === `${lane} held-out`)!.points[0].y);
    expect(new Set(starts).size).toBe(1);

    // Held-out prompts are marked: their own chip group, and a table on each lane card.
    await expect.poll(() => page.getByText(/Held out \(never trained on\): 256/).count()).toBe(1);
    expect(await page.getByTestId('sft-held-out').getByText('held out').count()).toBeGreaterThan(0);
    // The run replaced by the small preset had not trained: no ghost of it (a step-0 evaluation is not a run).
    expect(await page.getByText(/· 0 steps/).count()).toBe(0);
    // Charts off screen skip redraws: bring the reward chart up before the picture.
    await page.locator('figure[data-chart-id="reward"]').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${SHOTS}/transformer-trained-${mode}.png` });
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.length}`)).toEqual([]);

    // Reset: the base comes from the cache, so no pretraining bar, and the same step-0 score.
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.waitForFunction(() => window.__rftPlayground.progress().step === 0, null, { timeout: 60_000 });
    expect(await bar.count()).toBe(0);
    await expect.poll(async () => (await page.evaluate(() => window.__rftPlayground.chartData('reward')))!.find((l) => l.label === 'RFT held-out')!.points[0]?.y).toBe(starts[0]);
    await context.close();
  });
});
