import { defineConfig, type Plugin } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { GRADER_CSP } from './src/graders/sandbox/csp.ts';
import { VitePWA } from 'vite-plugin-pwa';
import { pwaOptions } from './src/pwa/pwa-options.ts';
import { wgslMinify } from './src/gpu/wgsl-minify.ts';

/**
 * The Content-Security-Policy of the built page, from the graders module (its
 * one source of truth: it knows what the custom-JS sandbox needs). Build only:
 * the dev server's hot reload needs more than the page itself does.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'rft-playground-csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: GRADER_CSP }, injectTo: 'head-prepend' }],
  };
}

/**
 * The page's chunks are minified by terser (three compress passes): 6 kB smaller gzipped than the
 * default minifier on the page bundle.
 */
export const TERSER = { ecma: 2020, compress: { passes: 3 }, mangle: true, format: { comments: false } } as const;

/**
 * The workers' chunks get the same terser pass after the default minifier has run (a worker build
 * does not apply build.minify's terser): the training worker shrinks from ~107 to ~96 kB gzipped.
 */
export function terserWorkerChunks(): Plugin {
  return {
    name: 'rft-terser-worker-chunks',
    apply: 'build',
    enforce: 'post',
    async generateBundle(_options, bundle) {
      const { minify } = await import('terser');
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const out = await minify(chunk.code, { ...TERSER, module: true });
        if (out.code) chunk.code = out.code;
      }
    },
  };
}

export default defineConfig({
  // Relative base: the built files work from any sub-path or a USB stick.
  base: './',
  // VitePWA: manifest + service worker precaching all of dist/, for offline use (src/pwa/).
  plugins: [svelte(), contentSecurityPolicy(), VitePWA(pwaOptions)],
  build: { minify: 'terser', terserOptions: TERSER },
  // The shaders are bundled into the training worker, whose build has its own plugin list.
  worker: { format: 'es', plugins: () => [wgslMinify(), terserWorkerChunks()] },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
