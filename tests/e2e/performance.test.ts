/**
 * Performance of the built page in headless Chromium while the three lanes
 * train at default settings (30 steps/s): frames per second and main-thread
 * long tasks (PerformanceObserver "longtask"), plus time to first render from
 * the local static server; then the same while the RFT card's slow-motion view
 * (one step taken apart, at its last stage) and sampling view are open, with
 * the sampling view redrawing for every step. Numbers are written to
 * test-results/perf-<mode>.json.
 *
 * Timing needs a quiet machine: when the load average is above 1.5 per core
 * the measurement is still taken and saved, but the thresholds are not judged.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { HAVE_CHROMIUM, launchChromium, preferBackend, WEBGPU_BADGE } from './browser.ts';
import { serveStatic, type StaticServer } from './static-server.ts';
import type {} from '../../src/ui/debug-hook.ts';

const MEASURE_MS = 4000;
/** Training warms up (first draws of every chart and table) before the measured window. */
const WARM_UP_MS = 1000;

// Passed as a string: the test runner's transform would add helpers the page does not have.
const MEASURE_IN_PAGE = `new Promise((resolve) => {
  const long = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) long.push(Math.round(e.duration)); }).observe({ type: 'longtask' });
  let frames = 0;
  let worst = 0;
  const t0 = performance.now();
  let last = t0;
  function tick(t) {
    frames++;
    worst = Math.max(worst, t - last);
    last = t;
    if (t - t0 < ${MEASURE_MS}) requestAnimationFrame(tick);
    else resolve({ fps: frames / ((t - t0) / 1000), worstFrameMs: Math.round(worst), longTasksMs: long });
  }
  requestAnimationFrame(tick);
})`;

describe.skipIf(!HAVE_CHROMIUM).each([
  { mode: 'cpu', webgpu: false },
  { mode: 'webgpu', webgpu: true },
])('performance ($mode mode)', ({ mode, webgpu }) => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync('dist/index.html')) throw new Error('dist/index.html is missing: run `npm run build` before the e2e tests');
    mkdirSync('test-results', { recursive: true });
    server = await serveStatic('dist');
    browser = await launchChromium(webgpu);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders first in under a second and trains without long tasks at ≥ 50 fps, also with the slow-motion and sampling views open', async (ctx) => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    // WebGPU mode measures the page while WebGPU trains (auto would pick the CPU over SwiftShader).
    if (webgpu) await preferBackend(context, 'webgpu');
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => performance.getEntriesByName('rft-playground-ready').length > 0, null, { timeout: 20_000 });
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
    if (webgpu) expect(await page.evaluate(() => window.__rftPlayground.backendBadge())).toMatch(WEBGPU_BADGE);
    const firstRender = await page.evaluate(() => ({
      firstContentfulPaintMs: Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN),
      readyMs: Math.round(performance.getEntriesByName('rft-playground-ready')[0].startTime),
    }));
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForTimeout(WARM_UP_MS);
    const load = loadavg()[0] / cpus().length;
    const training = (await page.evaluate(MEASURE_IN_PAGE)) as { fps: number; worstFrameMs: number; longTasksMs: number[] };
    const steps = await page.evaluate(() => window.__rftPlayground.progress().step);

    // The "see it happen" views open: one step taken apart (Pause, a real step, all five stages), the sampling view beside it.
    const rft = page.getByRole('region', { name: 'RFT', exact: true });
    await page.getByRole('button', { name: 'Pause' }).click();
    // Room to train through the second window (the default 300 steps end within it at 30 steps/s).
    const stepsKnob = page.getByLabel('Steps', { exact: true });
    await stepsKnob.fill('3000');
    await stepsKnob.press('Enter');
    await page.waitForFunction(() => window.__rftPlayground.progress().steps === 3000, null, { timeout: 20_000 });
    await rft.getByRole('button', { name: 'Step slowly' }).click();
    await rft.getByRole('button', { name: 'Take one step slowly' }).click();
    await page.waitForFunction((s) => (window.__rftPlayground.slowMotion('rft')?.step ?? 0) > s, steps, { timeout: 20_000 });
    for (let k = 0; k < 4; k++) await rft.getByRole('button', { name: 'Next →' }).click();
    await rft.getByRole('button', { name: 'Sampling' }).click();
    await page.getByTestId('sampling-rft').locator('tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForTimeout(WARM_UP_MS);
    const loadViews = loadavg()[0] / cpus().length;
    const withViews = (await page.evaluate(MEASURE_IN_PAGE)) as { fps: number; worstFrameMs: number; longTasksMs: number[] };
    const stepsWithViews = await page.evaluate(() => window.__rftPlayground.progress().step);
    const report = {
      mode,
      ...firstRender,
      ...training,
      stepsAfterMeasure: steps,
      loadPerCore: Number(load.toFixed(2)),
      withViews: { ...withViews, stepsAfterMeasure: stepsWithViews, loadPerCore: Number(loadViews.toFixed(2)) },
    };
    writeFileSync(`test-results/perf-${mode}.json`, JSON.stringify(report, null, 2));
    console.log(`performance (${mode}):`, JSON.stringify(report));
    await context.close();
    expect(steps).toBeGreaterThan(0);
    expect(stepsWithViews).toBeGreaterThan(steps + 1);
    if (Math.max(load, loadViews) > 1.5) {
      ctx.skip(`machine too busy to judge timings (load ${load.toFixed(1)} per core); numbers saved in test-results/perf-${mode}.json`);
    }
    expect(firstRender.firstContentfulPaintMs).toBeLessThan(1000);
    expect(training.fps).toBeGreaterThanOrEqual(50);
    expect(Math.max(0, ...training.longTasksMs)).toBeLessThanOrEqual(50);
    expect(withViews.fps).toBeGreaterThanOrEqual(50);
    expect(Math.max(0, ...withViews.longTasksMs)).toBeLessThanOrEqual(50);
  });

  it('three transformer lanes (2 layers × d_model 32, from the pretrained base) train at ≥ 50 fps without long tasks', async (ctx) => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    if (webgpu) await preferBackend(context, 'webgpu');
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.__rftPlayground?.backendBadge() != null, null, { timeout: 20_000 });
    await page.getByLabel('Policy kind').selectOption('transformer');
    await page.getByTestId('model-summary').getByText(/Held-out at step 0/).waitFor({ timeout: 120_000 });
    if (webgpu) expect(await page.evaluate(() => window.__rftPlayground.backendBadge())).toMatch(WEBGPU_BADGE);
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForTimeout(WARM_UP_MS);
    const load = loadavg()[0] / cpus().length;
    const before = await page.evaluate(() => window.__rftPlayground.progress().step);
    const training = (await page.evaluate(MEASURE_IN_PAGE)) as { fps: number; worstFrameMs: number; longTasksMs: number[] };
    // A transformer step on SwiftShader can take longer than the window: wait for one to land, so the page is known to train.
    await page.waitForFunction((s) => window.__rftPlayground.progress().step > s, before, { timeout: 60_000 });
    const steps = await page.evaluate(() => window.__rftPlayground.progress().step);
    const report = { mode, policy: 'transformer 2 × 32', ...training, stepsBefore: before, stepsAfter: steps, loadPerCore: Number(load.toFixed(2)) };
    writeFileSync(`test-results/perf-transformer-${mode}.json`, JSON.stringify(report, null, 2));
    console.log(`performance, transformer (${mode}):`, JSON.stringify(report));
    await context.close();
    if (load > 1.5) ctx.skip(`machine too busy to judge timings (load ${load.toFixed(1)} per core); numbers saved in test-results/perf-transformer-${mode}.json`);
    expect(training.fps).toBeGreaterThanOrEqual(50);
    expect(Math.max(0, ...training.longTasksMs)).toBeLessThanOrEqual(50);
  });
});
