/**
 * The production build's JavaScript, gzipped (level 9, what a static server's
 * gzip gets close to): every .js file under dist/ — page, workers, lazily loaded
 * chunks, the service worker — against the 300 KB budget. `npm run bench` builds
 * into a temporary folder so the numbers always describe the current sources;
 * the budget test (tests/build/) measures the dist/ that `npm test` just built.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The budget for all of dist/'s JavaScript together, gzipped: 300 kB, read strictly (1 kB = 1,000 bytes). */
export const JS_BUDGET_BYTES = 300_000;

export interface JsFile {
  path: string;
  bytes: number;
  gzipped: number;
  /** When the browser fetches it: at start, only on demand, or as the offline service worker. */
  when: 'start' | 'on demand' | 'service worker';
}

/** Chunks the page imports only when they are needed (the editor for custom JS, the lessons, the real-model export and its zip). */
const ON_DEMAND = /^assets\/(code-editor|LessonsPanel|export|zip)-/;
const SERVICE_WORKER = /^sw\.js$/;

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

export function measureJs(dist: string): { files: JsFile[]; totalGzipped: number } {
  const files = [...walk(dist)]
    .filter((p) => p.endsWith('.js'))
    .map((p): JsFile => {
      const path = relative(dist, p).split('\\').join('/');
      const code = readFileSync(p);
      const when = SERVICE_WORKER.test(path) ? 'service worker' : ON_DEMAND.test(path) ? 'on demand' : 'start';
      return { path, bytes: code.length, gzipped: gzipSync(code, { level: 9 }).length, when };
    })
    .sort((a, b) => b.gzipped - a.gzipped);
  return { files, totalGzipped: files.reduce((s, f) => s + f.gzipped, 0) };
}

const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;

export async function run(): Promise<void> {
  const { build } = await import('vite');
  const out = mkdtempSync(join(tmpdir(), 'rft-bundle-'));
  try {
    await build({ logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
    const { files, totalGzipped } = measureJs(out);
    console.log('## Production JavaScript (vite build; gzip -9)');
    console.log('| file | loaded | raw | gzipped |');
    console.log('|---|---|---:|---:|');
    for (const f of files) console.log(`| ${f.path.replace(/-[\w-]{8}\.js$/, '.js')} | ${f.when} | ${kb(f.bytes)} | ${kb(f.gzipped)} |`);
    const at = (when: JsFile['when']) => kb(files.filter((f) => f.when === when).reduce((s, f) => s + f.gzipped, 0));
    console.log(`at start ${at('start')}, on demand ${at('on demand')}, service worker ${at('service worker')}`);
    console.log(`total ${kb(totalGzipped)} of a ${kb(JS_BUDGET_BYTES)} budget (${totalGzipped <= JS_BUDGET_BYTES ? 'within' : 'OVER'})`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
