/**
 * The Content-Security-Policy the page must set, in index.html:
 *   <meta http-equiv="Content-Security-Policy" content="...GRADER_CSP...">
 * Grader workers start from Blob URLs and so inherit it. What each part is for:
 * - connect-src 'self': fetch, XMLHttpRequest, WebSocket, EventSource to other
 *   origins fail, in the page and in every grader worker;
 * - script-src 'self' 'unsafe-eval': no remote scripts (importScripts / import()
 *   of a remote URL fail); 'unsafe-eval' because the worker evaluates the user's
 *   grader source — there is no way to run typed-in code without it;
 * - worker-src blob: data:: how Vite starts inline workers (Blob, data: fallback);
 * - object-src / base-uri / form-action 'none': nothing here needs them.
 * A single-file build that inlines its <script> must add 'unsafe-inline' (or the
 * script's hash) to script-src: use GRADER_CSP_INLINE_SCRIPTS there.
 */
const parts = (scriptExtra: string) =>
  [
    "default-src 'self'",
    `script-src 'self' 'unsafe-eval'${scriptExtra}`,
    "worker-src 'self' blob: data:",
    "connect-src 'self'",
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

export const GRADER_CSP = parts('');
export const GRADER_CSP_INLINE_SCRIPTS = parts(" 'unsafe-inline'");
