/**
 * The Content-Security-Policy the page sets, in index.html:
 *   <meta http-equiv="Content-Security-Policy" content="...GRADER_CSP...">
 * Defence in depth for the page itself, not the grader sandbox's wall: custom
 * grader code runs in a QuickJS VM (quickjs-sandbox.ts) that has no network or
 * storage whatever the page's policy, so a server that sends no headers at all
 * (and a worker loaded from its own URL, which gets no meta CSP) is as safe.
 * What each part is for:
 * - connect-src 'self': fetch, XMLHttpRequest, WebSocket, EventSource to other
 *   origins fail for the page's own code;
 * - script-src 'self' 'unsafe-eval': no remote scripts; 'unsafe-eval' because
 *   the syntax check compiles (never runs) a grader with new Function, and
 *   WebAssembly.compile of the QuickJS engine needs it (or 'wasm-unsafe-eval')
 *   where a worker inherits this policy (the single-file build);
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
