/**
 * vite-plugin-pwa options for the served build (`npm run build` → dist/):
 * a web app manifest, and the service worker of src/pwa/sw.ts (strategy
 * injectManifest) with the list of every file of dist/ to precache, so that
 * after one visit the page loads and trains with no network.
 *
 * Everything is relative (start_url, scope, icons, the precache list), as is
 * Vite's base: the same dist/ works at /, at /course/rft/ or anywhere else.
 *
 * Updates: no skipWaiting, no clients.claim() (see sw.ts). A new
 * version found on an online visit is downloaded in the background and waits
 * until every tab of the playground is closed; the next visit gets it. A tab
 * that is training therefore never has its files swapped underneath it (a lazy
 * chunk of the old version missing from a new cache would break the session).
 * src/pwa/register.ts registers the worker.
 */
import type { VitePWAOptions } from 'vite-plugin-pwa';

import { SERVICE_WORKER_FILE } from './build-names.ts';

export const pwaOptions: Partial<VitePWAOptions> = {
  strategies: 'injectManifest',
  registerType: 'prompt',
  // src/pwa/register.ts does it, from src/main.ts: an injected inline script would need 'unsafe-inline' in the CSP.
  injectRegister: false,
  // globPatterns below already takes every file, icons and manifest included.
  includeManifestIcons: false,
  // sw.ts in src/pwa/ → sw.js in dist/.
  filename: SERVICE_WORKER_FILE.replace(/\.js$/, '.ts'),
  manifestFilename: 'manifest.webmanifest',
  manifest: {
    id: './',
    name: 'RFT Playground',
    short_name: 'RFT Playground',
    description: 'Watch a toy language model fine-tuned by RFT, DPO and SFT side by side, in your browser. Works offline.',
    lang: 'en',
    start_url: './',
    scope: './',
    display: 'standalone',
    background_color: '#f6f7f9',
    theme_color: '#0072b2',
    icons: [
      { src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
      { src: 'icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  },
  // Our own worker (src/pwa/sw.ts), which the plugin builds with Vite (minified like the page: terser) into
  // dist/sw.js, then writes the precache list into in place of self.__WB_MANIFEST.
  srcDir: 'src/pwa',
  injectManifest: {
    // A classic script, not a module: register.ts registers it without { type: 'module' }.
    rollupFormat: 'iife',
    // The whole app, whatever its file types: scripts, the training and grader
    // workers, styles, icons, the manifest. (sw.js itself is left out by the plugin.)
    globPatterns: ['**/*'],
    // The plugin lists the manifest itself (it writes it after the glob runs); workbox-build's own default stays.
    globIgnores: ['**/node_modules/**/*', 'manifest.webmanifest'],
    // The code editor and the training worker are a few hundred kB each; the
    // default limit (2 MiB) would silently leave a big chunk out one day.
    maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
    sourcemap: false,
  },
};
