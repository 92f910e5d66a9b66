/**
 * Registers the service worker of the served build (see pwa-options.ts), so
 * the playground keeps working offline after one visit. Call it once from the
 * page's entry point; it never throws and never reloads the page.
 *
 * Updates need nothing here: the browser checks sw.js on every online visit
 * (updateViaCache 'none' keeps any HTTP cache out of the way), installs a new
 * version in the background, and the worker (sw.ts) waits until no tab of the
 * playground is open before it takes over, so a training tab is never disturbed.
 *
 * It does nothing in the dev server, in the single-file build (a file:// page
 * cannot have a service worker, and a single html served over http has no
 * sw.js next to it), on plain http from another machine (not a secure context)
 * and in browsers without service workers.
 */
import { SERVICE_WORKER_FILE, SINGLE_FILE_MODE } from './build-names.ts';

export type ServiceWorkerOutcome = 'registered' | 'skipped' | 'failed';

export async function registerServiceWorker(): Promise<ServiceWorkerOutcome> {
  if (!import.meta.env.PROD || import.meta.env.MODE === SINGLE_FILE_MODE) return 'skipped';
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator) || !window.isSecureContext || !/^https?:$/.test(location.protocol)) return 'skipped';
  try {
    // Relative to the page, so the scope is the folder the playground is served from.
    await navigator.serviceWorker.register(`./${SERVICE_WORKER_FILE}`, { scope: './', updateViaCache: 'none' });
    return 'registered';
  } catch (e) {
    // Not an error for the page: it works as long as the server is there. Say why offline use is missing.
    console.warn(`The playground will not work offline here: its service worker could not be registered (${(e as Error).message ?? e}).`);
    return 'failed';
  }
}
