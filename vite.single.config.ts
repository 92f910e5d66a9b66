/**
 * `npm run build:single`: the whole playground as ONE html file (dist-single/index.html)
 * that works when opened from disk (file://), e.g. from a USB stick.
 *
 * A file:// page may not load a module worker from a file URL, nor a second
 * script from disk, so everything must be inside the html:
 * - scripts and styles: vite-plugin-singlefile inlines them (and turns code
 *   splitting off, so lazily imported chunks land in the one script too);
 * - workers: `new Worker(new URL('./x.ts', import.meta.url), …)` becomes a
 *   Vite `?worker&inline` import, started from a Blob URL (see inlineModuleWorkers);
 *   the grader sandbox is already `?worker&inline`;
 * - shaders: already bundled into the worker by `?raw` imports (src/gpu/shaders.ts);
 * - the favicon: a data: URL instead of a file next to the html.
 * No service worker here: file:// pages cannot register one (src/pwa/register.ts
 * checks the build mode).
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { viteSingleFile } from 'vite-plugin-singlefile';
import { GRADER_CSP_INLINE_SCRIPTS } from './src/graders/sandbox/csp.ts';
import { wgslMinify } from './src/gpu/wgsl-minify.ts';
import { SINGLE_FILE_MODE } from './src/pwa/build-names.ts';

const PUBLIC_DIR = resolve(import.meta.dirname, 'public');

/**
 * The page's CSP, with 'unsafe-inline' scripts since the app's script is now
 * inline (see csp.ts). Written as raw html rather than a Vite tag descriptor:
 * Vite would escape the quotes as &#39;, which browsers read fine but which
 * vite-plugin-singlefile's CSP check does not, and it would warn for nothing.
 */
function inlineScriptsCsp(): Plugin {
  if (GRADER_CSP_INLINE_SCRIPTS.includes('"')) throw new Error('the CSP contains a double quote and cannot go in a content="..." attribute');
  return {
    name: 'rft-playground-csp-single-file',
    apply: 'build',
    transformIndexHtml: (html) => html.replace(/<head>/i, `<head>\n    <meta http-equiv="Content-Security-Policy" content="${GRADER_CSP_INLINE_SCRIPTS}">`),
  };
}

// `new Worker(new URL('<spec>', import.meta.url)` plus the comma before the options, if any.
const MODULE_WORKER = /new\s+Worker\(\s*new\s+URL\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)\s*,?\s*/g;

/**
 * Rewrites every `new Worker(new URL('./x.ts', import.meta.url), options)` in
 * our sources into `new InlineWorker(options)` with
 * `import InlineWorker from './x.ts?worker&inline'`. Vite's inline worker
 * constructor always starts a module worker and keeps `options.name`, which is
 * all the page's workers pass. Only this build does it: the normal build keeps
 * workers as separate files, which the service worker caches and the browser
 * can parse in parallel.
 */
export function inlineModuleWorkers(): Plugin {
  return {
    name: 'rft-playground-inline-module-workers',
    enforce: 'pre',
    transform(code, id) {
      if (id.includes('/node_modules/') || id.includes('\0') || !/\.(ts|js|svelte)$/.test(id.split('?')[0])) return null;
      if (!code.includes('new Worker') || !code.includes('import.meta.url')) return null;
      const imports: string[] = [];
      const rewritten = code.replace(MODULE_WORKER, (_match, _quote: string, spec: string) => {
        const local = `__rftInlineWorker${imports.length}`;
        imports.push(`import ${local} from ${JSON.stringify(`${spec}?worker&inline`)};`);
        return `new ${local}(`;
      });
      if (imports.length === 0) return null;
      // On the first line, in front of what was there: every line keeps its number, so
      // stack traces still point at the right line (the build writes no source maps).
      return { code: `${imports.join(' ')} ${rewritten}`, map: null };
    },
  };
}

const IMAGE_TYPES: Record<string, string> = { '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon' };

/**
 * `<link rel="icon" href="/favicon.svg">` (a file in public/) → a data: URL,
 * since no file sits next to the html. An icon that is not in public/ stops the
 * build rather than leaving a link to nothing.
 */
function inlineFavicon(): Plugin {
  return {
    name: 'rft-playground-inline-favicon',
    transformIndexHtml: {
      order: 'pre',
      handler(html) {
        return html.replace(/(<link\b[^>]*\brel="(?:shortcut )?icon"[^>]*\bhref=")([^"]+)"/g, (_m, before: string, href: string) => {
          if (href.startsWith('data:')) return `${before}${href}"`;
          const file = resolve(PUBLIC_DIR, href.replace(/^\.?\//, ''));
          const type = IMAGE_TYPES[extname(file)];
          if (!type || !existsSync(file)) throw new Error(`index.html: the icon ${href} is not an .svg, .png or .ico file in public/, so the single-file build cannot inline it`);
          const data = type === 'image/svg+xml' ? `,${encodeURIComponent(readFileSync(file, 'utf8'))}` : `;base64,${readFileSync(file).toString('base64')}`;
          return `${before}data:${type}${data}"`;
        });
      },
    },
  };
}

/**
 * Fails the build if anything but the html would be written: a second file
 * would be a request the file:// page cannot make, and the page would break on
 * the USB stick only, where nobody can see an error message.
 */
function onlyOneFile(): Plugin {
  return {
    name: 'rft-playground-only-one-file',
    enforce: 'post',
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        const extra = Object.keys(bundle).filter((name) => name !== 'index.html');
        if (extra.length > 0) this.error(`the single-file build would also write ${extra.join(', ')}: everything must be inlined into index.html`);
      },
    },
  };
}

export default defineConfig({
  base: './',
  mode: SINGLE_FILE_MODE,
  // Nothing from public/ is copied: the favicon is inlined, and the PWA icons and manifest are for the served build.
  publicDir: false,
  plugins: [inlineModuleWorkers(), svelte(), inlineScriptsCsp(), inlineFavicon(), viteSingleFile(), onlyOneFile()],
  worker: {
    // Classic workers, not module workers: Chromium refuses a *module* worker
    // from a blob: URL made by a file:// page (its origin is opaque, and module
    // scripts are fetched with a same-origin check that an opaque origin never
    // passes), while a classic worker from the same Blob starts fine.
    format: 'iife',
    plugins: () => [inlineModuleWorkers(), wgslMinify()],
    // An inline worker is one Blob: its lazy imports (the grader sandbox host) must be inside it.
    rolldownOptions: { output: { codeSplitting: false } },
  },
  build: { outDir: 'dist-single', emptyOutDir: true },
});
