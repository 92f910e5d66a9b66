/**
 * The grader sandbox for browsers: a dedicated Web Worker. It is started from a
 * Blob (see browser-host.ts), so it inherits the page's Content-Security-Policy
 * (GRADER_CSP): connect-src keeps fetch/XHR/WebSocket on the page's own origin
 * and script-src keeps importScripts()/import() off remote URLs. The prelude
 * only turns those failures into clearer messages; the CSP is the wall.
 */
import { expose } from 'comlink';
import type { LoadOutcome, ProgressChannel, SandboxApi } from './protocol.ts';
import { GRADER_FILENAME, PRELUDE_SOURCE, RUNNER_SOURCE, SOURCE_SUFFIX } from './runner-source.ts';

interface Runner {
  take(): boolean;
  describe(e: unknown): string;
  run(json: string): unknown;
}

// Indirect eval runs in the worker's global scope, like a classic script; it needs
// 'unsafe-eval' in the CSP, which is why GRADER_CSP carries it.
const evaluate: (code: string) => unknown = globalThis.eval;
evaluate(PRELUDE_SOURCE);
const makeRunner = evaluate(RUNNER_SOURCE) as (progress: (i: number) => void) => Runner;
let runner: Runner | null = null;

/** Progress without shared memory: at most one message per 20 ms, so fast batches stay fast. */
function throttledPort(port: MessagePort): (i: number) => void {
  let last = -Infinity;
  return (i) => {
    const now = performance.now();
    if (now - last >= 20) {
      last = now;
      port.postMessage(i);
    }
  };
}

function progressFn(channel: ProgressChannel): (i: number) => void {
  if (typeof SharedArrayBuffer !== 'undefined' && channel instanceof SharedArrayBuffer) {
    const view = new Int32Array(channel);
    return (i) => Atomics.store(view, 0, i);
  }
  if (channel && typeof (channel as MessagePort).postMessage === 'function') return throttledPort(channel as MessagePort);
  return () => {};
}

const api: SandboxApi = {
  ping: () => true,
  load(source: string, progress: ProgressChannel): LoadOutcome {
    runner = makeRunner(progressFn(progress));
    try {
      // sourceURL names the code in stack traces, so errors carry grader.js:line:column.
      evaluate(`${source}${SOURCE_SUFFIX}//# sourceURL=${GRADER_FILENAME}\n`);
    } catch (e) {
      if (e instanceof SyntaxError) return { ok: false, message: `grader has a syntax error: ${e.message}` };
      return { ok: false, message: `grader failed while loading (top-level code)${runner.describe(e)}` };
    }
    if (!runner.take()) {
      return { ok: false, message: 'the grader must define a function named grade, e.g. function grade(sample, item) { return 1; }' };
    }
    return { ok: true };
  },
  grade(batchJson: string): string {
    if (!runner) throw new Error('grade() before load()');
    const out = runner.run(batchJson);
    if (typeof out !== 'string') throw new Error('the grader sandbox was tampered with (result is not text)');
    return out;
  },
};

expose(api);
