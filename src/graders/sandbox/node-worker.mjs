// The grader sandbox for Node: a worker_threads Worker that runs user code in a
// vm context. Plain JavaScript so Node can start it with or without tsx; the
// in-sandbox code arrives as text in workerData (see runner-source.ts).
//
// Why a vm context inside the worker: the worker gives a separate thread (so an
// infinite loop can be terminated) and a heap limit (resourceLimits); the
// context keeps process, require, fetch and import() out of the grader's reach.
import { parentPort, workerData } from 'node:worker_threads';
import vm from 'node:vm';
import { expose } from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

const { preludeSource, runnerSource, suffix, filename } = workerData;

// A null-prototype sandbox: with a plain {} the context's global would inherit the
// outer Object.prototype and `this.constructor.constructor("return process")()` escapes.
const context = vm.createContext(Object.create(null), { codeGeneration: { strings: true, wasm: false } });
new vm.Script(preludeSource, { filename: 'sandbox-prelude.js' }).runInContext(context);
const makeRunner = new vm.Script(runnerSource, { filename: 'sandbox-runner.js' }).runInContext(context);
// Built inside the context so the user's code never holds an object from this realm.
const makeProgress = new vm.Script(
  '(function (sab) { "use strict"; if (!sab) return function () {}; var view = new Int32Array(sab), store = Atomics.store; return function (i) { store(view, 0, i); }; })',
  { filename: 'sandbox-progress.js' },
).runInContext(context);

let runner = null;

// A grader may leave a rejected promise behind (e.g. an import() it never awaited); that must not
// take the worker down after its batch has been answered. Graders are synchronous, so nothing is lost.
process.on('unhandledRejection', () => {});

/** "grader.js:3\n  return x +;\n           ^\n\nSyntaxError: ..." → line 3, column of the caret. */
function describeSyntaxError(e) {
  const stack = String(e && e.stack);
  const head = /^grader\.js:(\d+)\n(.*)\n(\s*)\^/.exec(stack);
  const where = head ? ` at line ${head[1]}, column ${head[3].length + 1}` : '';
  return `grader has a syntax error${where}: ${e && e.name ? e.name : 'SyntaxError'}: ${e && e.message}`;
}

const api = {
  ping() {
    return true;
  },
  load(source, progressBuffer) {
    runner = makeRunner(makeProgress(progressBuffer instanceof SharedArrayBuffer ? progressBuffer : null));
    let script;
    try {
      script = new vm.Script(source + suffix, { filename });
    } catch (e) {
      return { ok: false, message: describeSyntaxError(e) };
    }
    try {
      script.runInContext(context);
    } catch (e) {
      return { ok: false, message: `grader failed while loading (top-level code)${runner.describe(e)}` };
    }
    if (!runner.take()) {
      return { ok: false, message: 'the grader must define a function named grade, e.g. function grade(sample, item) { return 1; }' };
    }
    return { ok: true };
  },
  grade(batchJson) {
    if (!runner) throw new Error('grade() before load()');
    const out = runner.run(batchJson);
    // The runner only returns strings; anything else means user code tampered with it.
    if (typeof out !== 'string') throw new Error('the grader sandbox was tampered with (result is not text)');
    return out;
  },
};

expose(api, nodeEndpoint(parentPort));
