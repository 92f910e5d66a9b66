/**
 * The service worker of the served build (dist/sw.js; see pwa-options.ts for
 * how it is built, register.ts for how the page registers it).
 *
 * It keeps a copy of every file of dist/ (the precache list that
 * vite-plugin-pwa writes in place of `self.__WB_MANIFEST` at build time), so
 * that after one visit the playground loads and trains with no network:
 * - install: download the list into a cache of its own for this version;
 * - activate: delete every other precache of this scope (older versions of
 *   ours, and the `workbox-precache-*` cache of builds from before this file);
 * - fetch: a precached file comes from the cache, a navigation inside the
 *   scope gets the cached index.html, anything else goes to the network as if
 *   there were no service worker (so a request that fails offline fails the
 *   way it would without one; the page copes as it always does).
 *
 * Updates: no skipWaiting() on install and no clients.claim(). A new version
 * installs in the background and waits until every tab of the playground is
 * closed, so a tab that is training keeps the files it started with (a lazy
 * chunk of the old version missing from a new cache would break it).
 *
 * Plain code, no workbox runtime: it is all this app needs, and ~5 kB gzipped
 * less JavaScript in dist/ (which counts against the bundle budget).
 */
export {};

/** One file of dist/: its URL relative to this worker, and a hash of its contents unless its name already has one (assets/). */
interface PrecacheEntry {
  url: string;
  revision: string | null;
}

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: PrecacheEntry[] };

// Replaced by the list at build time. Written once: the build fails if the marker is missing or repeated.
const MANIFEST = self.__WB_MANIFEST;

/** Where the playground is served from (the folder of sw.js, whatever the sub-path), e.g. https://school.example/course/rft/. */
const SCOPE = self.registration.scope;

/**
 * Each precached file: its absolute URL, and its key in the cache. A file with
 * a revision is stored under its URL plus that revision, so that one key
 * always means the same contents, whichever version's cache holds it.
 */
const FILES = MANIFEST.map(({ url, revision }) => {
  const absolute = new URL(url, location.href).href;
  return { url: absolute, key: revision ? `${absolute}?__revision=${revision}` : absolute, hashedName: !revision };
});
/** Absolute URL → key in the cache. */
const KEYS = new Map(FILES.map((file) => [file.url, file.key]));
const INDEX_KEY = KEYS.get(new URL('index.html', location.href).href);

/**
 * One cache per version: its name holds a hash of the precache list (any
 * changed file changes it) and the scope (several copies of the playground on
 * one origin, at different sub-paths, have separate caches). No space can
 * occur in a URL, so the name splits back unambiguously.
 */
const PREFIX = 'rft-precache ';
const CACHE = `${PREFIX}${fnv1a(JSON.stringify(MANIFEST))} ${SCOPE}`;

/** 32-bit FNV-1a, in base 36: a short version name. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
}

/** A cache of this scope that is not this version's: ours from an older version, or the previous build's workbox precache. */
const isOutdated = (name: string) =>
  name !== CACHE && (name.startsWith(PREFIX) ? name.endsWith(` ${SCOPE}`) : name.startsWith('workbox-precache') && name.endsWith(`-${SCOPE}`));

async function download(url: string, hashedName: boolean): Promise<Response> {
  // index.html, the icons and the manifest keep their names from version to version: ask the server, not the HTTP
  // cache. A name with a hash in it (assets/) is always the same file, so the HTTP cache may answer (the page just loaded it).
  const response = await fetch(url, { cache: hashedName ? 'default' : 'reload' });
  // Any failure fails the install, and the version in use (if any) stays: better than a copy with a file missing.
  if (!response.ok) throw new Error(`precaching ${url}: HTTP ${response.status}`);
  // A response that followed a redirect cannot answer a navigation: keep its contents and headers only.
  return response.redirected ? new Response(response.body, response) : response;
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(
        FILES.map(async ({ url, key, hashedName }) => {
          // Already here (an install that was cut short and is tried again).
          if (await cache.match(key)) return;
          // A key is one file's contents, so a file unchanged since the version in use (even the previous
          // build's workbox cache, which keys files the same way when their name has a hash) is copied, not downloaded.
          const kept = await caches.match(key);
          await cache.put(key, kept?.ok ? kept : await download(url, hashedName));
        }),
      ),
    ),
  );
  // No self.skipWaiting(): this version waits until no tab uses the one before.
});

self.addEventListener('activate', (event) => {
  // The new version's cache replaces the old ones. (No clients.claim(): pages opened before stay as they were.)
  event.waitUntil(caches.keys().then((names) => Promise.all(names.filter(isOutdated).map((name) => caches.delete(name)))));
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = request.url.split('#')[0];
  // A precached file (a folder stands for its index.html); any other navigation inside the scope (a ?query,
  // a mistyped path) gets the page, as when the playground is opened at its folder.
  const key = KEYS.get(url.endsWith('/') ? `${url}index.html` : url) ?? (request.mode === 'navigate' ? INDEX_KEY : undefined);
  // Not ours: no respondWith, so the browser fetches it as if there were no service worker.
  if (!key) return;
  // Cache first; should the copy be missing (storage cleared under us), the network.
  event.respondWith(caches.open(CACHE).then((cache) => cache.match(key)).then((cached) => cached ?? fetch(request)));
});

// Only a page that asks (none does today: see register.ts) can make a waiting version take over at once.
self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting();
});
