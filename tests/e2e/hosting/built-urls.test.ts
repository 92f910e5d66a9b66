/**
 * The served build (dist/, from `npm run build`) read as files: every URL it
 * asks a browser to load is relative (so it works under any sub-path), points
 * at a file that is there, and the service worker precaches every file. The
 * browser tests (sub-path-offline.test.ts) show the same from the outside;
 * this one says which URL is wrong when one is.
 * RFT_HOSTING_DIST=<folder> checks another build.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const DIST = process.env.RFT_HOSTING_DIST ?? 'dist';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [relative(DIST, path).split('\\').join('/')];
  });
}

/** A URL is relative if it has no scheme and does not start at the server's root. */
const isRelative = (url: string) => !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('/');

/** Resolves a relative URL written in `fromFile` (a path inside dist/) to a path inside dist/. */
const resolveIn = (fromFile: string, url: string) => posix.normalize(posix.join(posix.dirname(fromFile), url.split(/[?#]/)[0]));

describe(`${DIST}/ (npm run build)`, () => {
  let files: string[];
  beforeAll(() => {
    if (!existsSync(`${DIST}/sw.js`)) throw new Error(`${DIST}/sw.js is missing: run \`npm run build\` before the hosting tests`);
    files = filesUnder(DIST);
  });

  it('index.html loads only relative URLs, all present', () => {
    const html = readFileSync(`${DIST}/index.html`, 'utf8');
    const urls = [...html.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThanOrEqual(4); // script, stylesheet, icon, manifest
    expect(urls.filter((u) => !isRelative(u))).toEqual([]);
    expect(urls.map((u) => resolveIn('index.html', u)).filter((f) => !files.includes(f))).toEqual([]);
    expect(html).toMatch(/<link rel="manifest" href="\.\/manifest\.webmanifest"/);
  });

  it('scripts import chunks and start workers by relative URLs, all present', () => {
    const scripts = files.filter((f) => f.endsWith('.js') && f !== 'sw.js');
    const references = scripts.flatMap((file) => {
      const code = readFileSync(join(DIST, file), 'utf8');
      const found = [
        ...[...code.matchAll(/\bimport\(\s*[`'"]([^`'"]+)[`'"]\s*\)/g)].map((m) => m[1]),
        ...[...code.matchAll(/new URL\(\s*[`'"]([^`'"]+)[`'"]\s*,\s*import\.meta\.url\s*\)/g)].map((m) => m[1]),
        ...[...code.matchAll(/\bfrom\s*[`'"](\.[^`'"]+)[`'"]/g)].map((m) => m[1]),
      ];
      return found.map((url) => ({ file, url }));
    });
    // The training worker at least; the code editor and grader host are lazy chunks.
    expect(references.some((r) => /training\.worker-[\w-]+\.js$/.test(r.url))).toBe(true);
    expect(references.filter((r) => !isRelative(r.url))).toEqual([]);
    expect(references.filter((r) => !files.includes(resolveIn(r.file, r.url)))).toEqual([]);
  });

  it('the manifest makes the app installable from wherever it is served', () => {
    const manifest = JSON.parse(readFileSync(`${DIST}/manifest.webmanifest`, 'utf8')) as {
      name: string;
      start_url: string;
      scope: string;
      id: string;
      display: string;
      icons: { src: string; sizes: string; type: string; purpose?: string }[];
    };
    expect(manifest).toMatchObject({ name: 'RFT Playground', start_url: './', scope: './', id: './', display: 'standalone' });
    expect(manifest.icons.filter((i) => !isRelative(i.src) || !files.includes(resolveIn('manifest.webmanifest', i.src)))).toEqual([]);
    // Chromium wants a 192 px and a 512 px icon to offer installation; check the PNGs really are that size.
    for (const icon of manifest.icons.filter((i) => i.type === 'image/png')) {
      const png = readFileSync(join(DIST, icon.src));
      expect(png.subarray(1, 4).toString('latin1'), icon.src).toBe('PNG');
      expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`, icon.src).toBe(icon.sizes);
    }
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  });

  it('the service worker precaches every file of the app, by relative URLs', () => {
    const sw = readFileSync(`${DIST}/sw.js`, 'utf8');
    // The list vite-plugin-pwa wrote in place of self.__WB_MANIFEST (src/pwa/sw.ts): JSON, one entry per file.
    const list = sw.match(/\[\{"revision":[^\]]*\}\]/);
    if (!list) throw new Error(`${DIST}/sw.js holds no precache list: was self.__WB_MANIFEST replaced?`);
    const entries = JSON.parse(list[0]) as { url: string; revision: string | null }[];
    const precached = entries.map((e) => e.url);
    expect(precached.filter((u) => !isRelative(u))).toEqual([]);
    expect(new Set(precached).size).toBe(precached.length);
    expect(files.filter((f) => f !== 'sw.js' && !precached.includes(f))).toEqual([]);
    expect(precached.filter((u) => !files.includes(u))).toEqual([]);
    // A file without a hash in its name has a revision, so a new version of it is downloaded again.
    expect(entries.filter((e) => (e.revision === null ? !/^assets\/.+-[\w-]{8}\.\w+$/.test(e.url) : !/^[0-9a-f]{32}$/.test(e.revision)))).toEqual([]);
    // The worker's own code (src/pwa/sw.ts, minified), without the list: one self-contained classic
    // script (no workbox runtime or other file loaded beside it), and navigations fall back to the cached page.
    const code = sw.replace(list[0], '[]');
    expect(code).not.toMatch(/\bimportScripts\(|\bimport\s*[("'{*]|\bdefine\(|\bexport\b/);
    expect(code).toContain('"navigate"');
    expect(code).toContain('new URL("index.html"');
    // Activation deletes the old caches, the previous build's workbox precache included.
    expect(code).toContain('"workbox-precache"');
    expect(code).toContain('caches.delete(');
    // skipWaiting only on a SKIP_WAITING message (which the page never sends), and no
    // clients.claim(): a training tab keeps the version it started with (see src/pwa/sw.ts).
    expect(code.match(/skipWaiting\(\)/g)).toHaveLength(1);
    expect(code).toMatch(/"SKIP_WAITING"===\w+\.data\?\.type&&self\.skipWaiting\(\)/);
    expect(code).not.toMatch(/\.claim\(|clientsClaim/);
  });
});
