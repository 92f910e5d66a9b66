/**
 * Names that the build configs and the page must agree on, kept apart from the
 * build options so the page bundle does not carry those.
 */

/**
 * The Vite mode of the single-file build (vite.single.config.ts). The page reads
 * it through `import.meta.env.MODE` to skip the service worker there: a file://
 * page cannot register one, and a single file served over http has no sw.js.
 */
export const SINGLE_FILE_MODE = 'single-file';

/** The service worker (built from src/pwa/sw.ts), next to index.html in dist/. */
export const SERVICE_WORKER_FILE = 'sw.js';
