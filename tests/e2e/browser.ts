/** Launches Debian's Chromium through playwright-core with the flags that work on these machines (see WEBGPU.md). */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { WORK_KEY } from '../../src/share/storage.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

const BASE_FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(webgpu: boolean): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: webgpu ? [...BASE_FLAGS, '--enable-unsafe-webgpu'] : BASE_FLAGS,
  });
}

/**
 * Makes every page of `context` start with `backend` as the user's choice (saved work the page loads at
 * start, written only when the profile has none): "auto" trains on the CPU over SwiftShader, so the
 * WebGPU-mode tests ask for WebGPU to exercise the WGSL path. Lesson presets and the guided run keep it.
 */
export async function preferBackend(context: BrowserContext, backend: 'webgpu' | 'cpu'): Promise<void> {
  const work = JSON.stringify({ version: 1, config: { backend }, lanes: { rft: true, dpo: true, sft: true }, graderCode: null, imported: [] });
  await context.addInitScript(
    ({ key, value }) => {
      try {
        if (localStorage.getItem(key) === null) localStorage.setItem(key, value);
      } catch {
        // No storage (opaque origin): the page opens on auto.
      }
    },
    { key: WORK_KEY, value: work },
  );
}

/** What the badge says when WebGPU really trains (SwiftShader's adapter in these tests). */
export const WEBGPU_BADGE = /^WebGPU\b/;
